#include "user_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "auth/user_directory.hpp"

namespace callcast {

namespace {

constexpr int kExitError = 2;

int fail_with(const std::string& message) {
  std::fprintf(stderr, "callcastd: user add: %s\n", message.c_str());
  return kExitError;
}

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

bool UserCommandOptions::requested() const {
  return add_command != nullptr && add_command->parsed();
}

void add_user_subcommand(CLI::App& app, UserCommandOptions& options) {
  CLI::App* user = app.add_subcommand("user", "manage the users file (digest credentials)");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand(
      "add",
      "add a user or change its password; the password is stored only as HA1 hashes (MD5 and "
      "SHA-256 of number:realm:password)");
  add->add_option("NUMBER", options.number, "the user's number (1-32 of 0-9 A-Z a-z + . _ -)")
      ->required();
  add->add_option("--password", options.password,
                  "the password (visible to other local users in ps: prefer the prompt, or pipe "
                  "it on stdin)");
  add->add_option("--users", options.users_file,
                  "users file (default: sip.users_file of the config, callcast-users)");
  add->add_option("--realm", options.realm,
                  "digest realm (default: sip.realm of the config, callcast)");
  options.add_command = add;
}

int run_user_add(const UserCommandOptions& options, const core::Config& config) {
  const std::string file = options.users_file.value_or(config.sip.users_file);
  const std::string realm = options.realm.value_or(config.sip.realm);
  if (file.empty()) return fail_with("no users file: give --users or set sip.users_file");
  auto password = read_password(options);
  if (!password) return fail_with(password.error());
  if (password->empty()) return fail_with("empty password");
  const auto replaced = auth::add_user(file, realm, options.number, *password);
  if (!replaced) return fail_with(replaced.error());
  if (*replaced) {
    std::printf("updated user %s in %s (realm %s)\n", options.number.c_str(), file.c_str(),
                realm.c_str());
  } else {
    std::printf("added user %s to %s (realm %s)\n", options.number.c_str(), file.c_str(),
                realm.c_str());
  }
  std::fflush(stdout);
  return 0;
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
