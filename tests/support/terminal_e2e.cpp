#include "support/terminal_e2e.hpp"

#include <fstream>
#include <sstream>
#include <thread>

#include "support/wait_until.hpp"

namespace callcast::test {

std::filesystem::path TerminalE2eTest::stats_path(const std::string& name) const {
  return dir() / (name + ".stats.json");
}

std::optional<nlohmann::json> TerminalE2eTest::stats(const std::string& name) const {
  std::ifstream in(stats_path(name));
  if (!in) return std::nullopt;
  auto parsed = nlohmann::json::parse(in, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

ChildOptions TerminalE2eTest::terminal_child(std::vector<std::string> argv,
                                             const std::string& name) const {
  ChildOptions child;
  child.argv = std::move(argv);
  child.stdout_file = dir() / (name + ".out");
  child.stderr_file = dir() / (name + ".err");
  return child;
}

std::vector<std::string> TerminalE2eTest::account_flags(const std::string& number,
                                                        const std::string& name) {
  return {"--number",     number,
          "--password",   kPassword,
          "--server",     "127.0.0.1:" + std::to_string(signaling_server().sip_port()),
          "--log-level",  "info",
          "--stats-json", stats_path(name).string()};
}

ChildProcess& TerminalE2eTest::broadcast(const std::string& master,
                                         std::vector<std::string> extra) {
  const std::string name = "broadcast-" + master;
  std::vector<std::string> argv = {callcast_.string(), "broadcast"};
  for (auto& flag : account_flags(master, name))
    argv.push_back(std::move(flag));
  const std::string ut_url = "http://127.0.0.1:" + std::to_string(signaling_server().http_port());
  argv.insert(argv.end(), {"--size", kTestSize, "--fps", std::to_string(kPublishFps), "--bitrate",
                           kTestBitrate});
  if (give_ut_url_) argv.insert(argv.end(), {"--ut-url", ut_url});
  for (auto& flag : extra)
    argv.push_back(std::move(flag));
  return spawn(terminal_child(std::move(argv), name));
}

ChildProcess& TerminalE2eTest::watch(const std::string& target, const std::string& viewer,
                                     std::vector<std::string> extra) {
  const std::string name = "watch-" + viewer;
  std::vector<std::string> argv = {callcast_.string(), "watch", target};
  for (auto& flag : account_flags(viewer, name))
    argv.push_back(std::move(flag));
  for (auto& flag : extra)
    argv.push_back(std::move(flag));
  return spawn(terminal_child(std::move(argv), name));
}

std::string TerminalE2eTest::output(const ChildProcess& child) {
  return file_tail(child.options().stdout_file, 64 * 1024);
}

::testing::AssertionResult TerminalE2eTest::wait_for_output(ChildProcess& child,
                                                            const std::string& text,
                                                            std::chrono::milliseconds timeout) {
  if (wait_until([&] { return output(child).find(text) != std::string::npos || !child.running(); },
                 timeout, std::chrono::milliseconds(50)) &&
      output(child).find(text) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "\"" << text << "\" not in the output of " << child.command_line() << " ("
         << (child.running() ? "still running" : child.status()->describe()) << "):\n"
         << output(child) << "\nstderr:\n"
         << child.stderr_tail();
}

std::optional<ExitStatus> TerminalE2eTest::wait_exit(ChildProcess& child,
                                                     std::chrono::milliseconds timeout) {
  auto status = child.wait_for(timeout);
  EXPECT_TRUE(status) << child.command_line() << " did not exit within " << timeout.count()
                      << " ms:\n"
                      << output(child) << "\nstderr:\n"
                      << child.stderr_tail();
  return status;
}

ChildProcess& TerminalE2eTest::start_live_broadcast(const std::string& master,
                                                    std::vector<std::string> extra) {
  ChildProcess& master_terminal = broadcast(master, std::move(extra));
  EXPECT_TRUE(wait_for_output(master_terminal, "step 707", std::chrono::seconds(20)));
  EXPECT_TRUE(wait_for_output(master_terminal, "now forward to the service number",
                              std::chrono::seconds(10)));
  return master_terminal;
}

}  // namespace callcast::test
