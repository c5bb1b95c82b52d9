#pragma once
// sipp (Debian package sip-tester) as the SIP peer of the user agent tests: a UAS on 127.0.0.1
// at a port found free by probing, playing one built-in or XML scenario for one call, then
// exiting (0 when the scenario went through, 1 when it failed).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test {

struct SippOptions {
  std::string scenario;   // a file under tests/unit/sipua/scenarios, or "uas" (built-in)
  bool tcp = false;       // -t t1 instead of -t u1
  int calls = 1;          // -m: exit after this many calls
  std::string auth_user;  // -set auth_user / auth_password, for the scenarios' verifyauth
  std::string auth_password;
  std::vector<std::string> extra;
};

class SippPeer {
 public:
  explicit SippPeer(SippOptions options);

  // Started and listening; error() says why not.
  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  std::string domain() const { return "127.0.0.1:" + std::to_string(port_); }

  // Waits for sipp to finish its call; "exit 0" means the scenario passed.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  // Output and error log, for failure messages.
  std::string output() const;

 private:
  SippOptions options_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
  bool ready_ = false;
  std::string error_;
};

}  // namespace callcast::test
