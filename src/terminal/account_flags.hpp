#pragma once
// The flags both `callcast broadcast` and `callcast watch` take: who we are and where the
// network side is, as typed, and the phone options they make.
#include <optional>
#include <string>

#include "core/result.hpp"
#include "terminal/phone.hpp"

namespace callcast::terminal {

struct AccountFlags {
  std::string number;
  std::string password;  // empty: CALLCAST_PASSWORD
  std::string server = "127.0.0.1";
  std::string transport = "udp";  // "udp" | "tcp" (CLI11 checks)
  std::string bind;               // empty: the local address that routes to the server
  std::string log_level = "warn";
  std::optional<int> duration_s;
  std::string stats_json;

  // The phone's options, or the one line that says what is wrong. `password_env`: the value of
  // CALLCAST_PASSWORD (null when unset). Without --bind, asks the kernel which local address
  // routes to the server (no packet is sent).
  Result<PhoneOptions, std::string> phone_options(const char* password_env) const;
};

}  // namespace callcast::terminal
