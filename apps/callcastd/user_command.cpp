#include "user_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "auth/user_directory.hpp"

namespace callcast {

namespace {

constexpr int kExitMissing = 1;  // no such user or users file: nothing was changed
constexpr int kExitError = 2;

const char* name_of(UserAction action) {
  switch (action) {
    case UserAction::add:
      return "add";
    case UserAction::passwd:
      return "passwd";
    case UserAction::remove:
      return "remove";
    case UserAction::list:
      return "list";
    case UserAction::none:
      break;
  }
  return "";
}

int fail_with(UserAction action, const std::string& message, int code = kExitError) {
  std::fprintf(stderr, "callcastd: user %s: %s\n", name_of(action), message.c_str());
  return code;
}

// Where the command works: the flags, else the configuration.
struct Target {
  std::string file;
  std::string realm;
};

// The terminal's settings while echo is off, so a signal can put them back: otherwise a Ctrl-C
// at the prompt would leave the user's shell without echo.
struct termios saved_terminal {};

void restore_terminal_and_reraise(int signal_number) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Reads one line from the terminal with echo off.
Result<std::string, std::string> prompt_hidden(const char* prompt) {
  if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) {
    return fail(std::string("cannot read the terminal settings"));
  }
  struct termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  const auto old_int = std::signal(SIGINT, restore_terminal_and_reraise);
  const auto old_term = std::signal(SIGTERM, restore_terminal_and_reraise);
  const auto old_hup = std::signal(SIGHUP, restore_terminal_and_reraise);
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  auto line = read_password_line(std::cin);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::signal(SIGHUP, old_hup);
  std::fputs("\n", stderr);  // the user's Enter was not echoed
  return line;
}

Result<std::string, std::string> read_password(const UserCommandOptions& options) {
  if (options.password) return *options.password;
  if (::isatty(STDIN_FILENO) == 0) return read_password_line(std::cin);
  const std::string first_prompt = "Password for " + options.number + ": ";
  auto first = prompt_hidden(first_prompt.c_str());
  if (!first) return first;
  auto second = prompt_hidden("Retype the password: ");
  if (!second) return second;
  if (*first != *second) return fail(std::string("the passwords do not match"));
  return first;
}

}  // namespace

UserAction UserCommandOptions::action() const {
  if (add_command != nullptr && add_command->parsed()) return UserAction::add;
  if (passwd_command != nullptr && passwd_command->parsed()) return UserAction::passwd;
  if (remove_command != nullptr && remove_command->parsed()) return UserAction::remove;
  if (list_command != nullptr && list_command->parsed()) return UserAction::list;
  return UserAction::none;
}

namespace {

void add_file_options(CLI::App& command, UserCommandOptions& options) {
  command.add_option("--users", options.users_file,
                     "users file (default: sip.users_file of the config, callcast-users)");
  command.add_option("--realm", options.realm,
                     "digest realm (default: sip.realm of the config, callcast)");
}

void add_number(CLI::App& command, UserCommandOptions& options) {
  command.add_option("NUMBER", options.number, "the user's number (1-32 of 0-9 A-Z a-z + . _ -)")
      ->required();
}

void add_password(CLI::App& command, UserCommandOptions& options) {
  command.add_option("--password", options.password,
                     "the password (visible to other local users in ps: prefer the prompt, or "
                     "pipe it on stdin)");
}

Target target_of(const UserCommandOptions& options, const core::Config& config) {
  return {options.users_file.value_or(config.sip.users_file),
          options.realm.value_or(config.sip.realm)};
}

// add and passwd: the same write; passwd first checks that the user exists.
int set_password(const UserCommandOptions& options, const Target& target, UserAction action) {
  if (action == UserAction::passwd) {
    auto numbers = auth::list_users(target.file, target.realm);
    if (!numbers) {
      const bool missing = !std::filesystem::exists(target.file);
      return fail_with(action, numbers.error(), missing ? kExitMissing : kExitError);
    }
    if (std::find(numbers->begin(), numbers->end(), options.number) == numbers->end()) {
      return fail_with(action,
                       "no user " + options.number + " in " + target.file + " (realm " +
                           target.realm + "); add it with `callcastd user add`",
                       kExitMissing);
    }
  }
  auto password = read_password(options);
  if (!password) return fail_with(action, password.error());
  if (password->empty()) return fail_with(action, "empty password");
  const auto replaced = auth::add_user(target.file, target.realm, options.number, *password);
  if (!replaced) return fail_with(action, replaced.error());
  const char* format = action == UserAction::passwd
                           ? "changed the password of user %s in %s (realm %s)\n"
                       : *replaced ? "updated user %s in %s (realm %s)\n"
                                   : "added user %s to %s (realm %s)\n";
  std::printf(format, options.number.c_str(), target.file.c_str(), target.realm.c_str());
  return 0;
}

int run_remove(const UserCommandOptions& options, const Target& target) {
  const bool missing_file = !std::filesystem::exists(target.file);
  const auto removed = auth::remove_user(target.file, target.realm, options.number);
  if (!removed) {
    return fail_with(UserAction::remove, removed.error(), missing_file ? kExitMissing : kExitError);
  }
  if (!*removed) {
    return fail_with(
        UserAction::remove,
        "no user " + options.number + " in " + target.file + " (realm " + target.realm + ")",
        kExitMissing);
  }
  std::printf("removed user %s from %s (realm %s)\n", options.number.c_str(), target.file.c_str(),
              target.realm.c_str());
  return 0;
}

int run_list(const Target& target) {
  const bool missing_file = !std::filesystem::exists(target.file);
  const auto numbers = auth::list_users(target.file, target.realm);
  if (!numbers) {
    return fail_with(UserAction::list, numbers.error(), missing_file ? kExitMissing : kExitError);
  }
  // Numbers only: the hashes are password-equivalent.
  for (const std::string& number : *numbers)
    std::printf("%s\n", number.c_str());
  return 0;
}

}  // namespace

void add_user_subcommand(CLI::App& app, UserCommandOptions& options) {
  CLI::App* user = app.add_subcommand("user", "manage the users file (digest credentials)");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand(
      "add",
      "add a user or change its password; the password is stored only as HA1 hashes (MD5 and "
      "SHA-256 of number:realm:password)");
  add_number(*add, options);
  add_password(*add, options);
  add_file_options(*add, options);
  CLI::App* passwd = user->add_subcommand("passwd", "change the password of an existing user");
  add_number(*passwd, options);
  add_password(*passwd, options);
  add_file_options(*passwd, options);
  CLI::App* remove = user->add_subcommand("remove", "remove a user");
  add_number(*remove, options);
  add_file_options(*remove, options);
  CLI::App* list = user->add_subcommand("list", "list the users' numbers (never their hashes)");
  add_file_options(*list, options);
  options.add_command = add;
  options.passwd_command = passwd;
  options.remove_command = remove;
  options.list_command = list;
}

int run_user_command(const UserCommandOptions& options, const core::Config& config) {
  const UserAction action = options.action();
  const Target target = target_of(options, config);
  if (target.file.empty())
    return fail_with(action, "no users file: give --users or set sip.users_file");
  int code = kExitError;
  switch (action) {
    case UserAction::add:
    case UserAction::passwd:
      code = set_password(options, target, action);
      break;
    case UserAction::remove:
      code = run_remove(options, target);
      break;
    case UserAction::list:
      code = run_list(target);
      break;
    case UserAction::none:
      break;
  }
  std::fflush(stdout);
  return code;
}

Result<std::string, std::string> read_password_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) {
    return fail(std::string(
        "no password: give --password, type it at the prompt, or pipe one line on stdin"));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace callcast
