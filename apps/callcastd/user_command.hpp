#pragma once
// `callcastd user add NUMBER [--password PASS] [--users FILE] [--realm R]`: adds a user to the
// users file (auth/user_directory.hpp) or changes its password. The users file and the realm
// default to the configuration's sip.users_file and sip.realm.
#include <istream>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/result.hpp"

namespace CLI {
class App;
}

namespace callcast {

struct UserCommandOptions {
  std::string number;
  std::optional<std::string> password;
  std::optional<std::string> users_file;
  std::optional<std::string> realm;
  CLI::App* add_command = nullptr;  // set by add_user_subcommand

  // True after parsing when the command line was `user add ...`.
  bool requested() const;
};

// Adds `user add` (under a `user` subcommand) to `app`; parsing fills `options`.
void add_user_subcommand(CLI::App& app, UserCommandOptions& options);

// Writes the user; prints one line on stdout, or one error line on stderr. Returns the exit
// code: 0, or 2 on any error.
int run_user_add(const UserCommandOptions& options, const core::Config& config);

// The password when it is piped in: the first line of `in`, without its line end.
Result<std::string, std::string> read_password_line(std::istream& in);

}  // namespace callcast
