#pragma once
// The end-to-end fixture of the terminal (issue 4): callcastd as in the SIP tests, plus the
// `callcast` program as real processes, `callcast broadcast` as master and `callcast watch` as
// viewers, each with its output in a file the test reads and its figures in a --stats-json file.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/sip_e2e.hpp"

namespace callcast::test {

// Video settings of the test broadcasts: small, so that two terminals and the server share two
// cores, and at kPublishFps so the frame-count checks of media_tools apply.
inline constexpr const char* kTestSize = "640x360";
inline constexpr const char* kTestBitrate = "1M";

class TerminalE2eTest : public SipE2eTest {
 protected:
  // `callcast`: the terminal binary (the test target defines CALLCAST_PATH).
  TerminalE2eTest(std::filesystem::path callcastd, std::filesystem::path callcast)
      : SipE2eTest(std::move(callcastd)), callcast_(std::move(callcast)) {}

  // `callcast broadcast --number master ...` toward the fixture's server, plus `extra` flags.
  ChildProcess& broadcast(const std::string& master, std::vector<std::string> extra = {});
  // `callcast watch target --number viewer ...`, plus `extra` flags.
  ChildProcess& watch(const std::string& target, const std::string& viewer,
                      std::vector<std::string> extra = {});

  // Where the terminal started as `name` writes its figures (--stats-json) and its output.
  std::filesystem::path stats_path(const std::string& name) const;
  std::optional<nlohmann::json> stats(const std::string& name) const;

  // True once the child's stdout holds `text` (polled until `timeout`).
  ::testing::AssertionResult wait_for_output(ChildProcess& child, const std::string& text,
                                             std::chrono::milliseconds timeout);
  // Waits for the child to exit; a failure shows its output when it does not in time.
  std::optional<ExitStatus> wait_exit(ChildProcess& child, std::chrono::milliseconds timeout);
  static std::string output(const ChildProcess& child);

  // A `callcast` command line with its output in dir()/NAME.out and NAME.err.
  ChildOptions terminal_child(std::vector<std::string> argv, const std::string& name) const;

  // Whether broadcast() passes --ut-url (the fixture's HTTP address). Off: the terminal must
  // learn it from the network side's Call-Info.
  bool give_ut_url_ = true;

  // Starts a broadcaster and waits until it is live and its forwarding is set.
  ChildProcess& start_live_broadcast(const std::string& master = kMaster,
                                     std::vector<std::string> extra = {});

 private:
  std::vector<std::string> account_flags(const std::string& number, const std::string& name);
  std::filesystem::path callcast_;
};

}  // namespace callcast::test
