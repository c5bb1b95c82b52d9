#pragma once
// `callcastd user ...`: the users file (auth/user_directory.hpp) from the command line.
//
//   user add NUMBER [--password PASS]     add a user, or change the password of one
//   user passwd NUMBER [--password PASS]  change the password of an existing user
//   user remove NUMBER                    remove a user
//   user list                             the numbers of the realm, one per line
//
// Each takes --users FILE and --realm R, which default to the configuration's sip.users_file and
// sip.realm. Passwords come from --password, a hidden prompt (asked twice) or one line on stdin;
// nothing printed ever holds a password or a hash.
//
// Exit codes: 0 done; 1 no such user, or no users file (nothing changed); 2 any other error
// (bad number, bad password input, unreadable file). One line on stdout on success, one line on
// stderr on failure ("callcastd: user remove: no user 1001 in users (realm callcast)").
#include <istream>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/result.hpp"

namespace CLI {
class App;
}

namespace callcast {

enum class UserAction { none, add, passwd, remove, list };

struct UserCommandOptions {
  std::string number;
  std::optional<std::string> password;
  std::optional<std::string> users_file;
  std::optional<std::string> realm;
  // Set by add_user_subcommand, one per action.
  CLI::App* add_command = nullptr;
  CLI::App* passwd_command = nullptr;
  CLI::App* remove_command = nullptr;
  CLI::App* list_command = nullptr;

  // After parsing: which `user` action the command line asked for.
  UserAction action() const;
  bool requested() const { return action() != UserAction::none; }
};

// Adds the `user` subcommand and its actions to `app`; parsing fills `options`.
void add_user_subcommand(CLI::App& app, UserCommandOptions& options);

// Runs the requested action; returns the exit code (see above).
int run_user_command(const UserCommandOptions& options, const core::Config& config);

// The password when it is piped in: the first line of `in`, without its line end.
Result<std::string, std::string> read_password_line(std::istream& in);

}  // namespace callcast
