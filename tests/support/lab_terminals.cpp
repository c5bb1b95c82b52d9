#include "support/lab_terminals.hpp"

#include <utility>

#include "support/wait_until.hpp"

namespace callcast::test {

using namespace std::chrono_literals;

LabTerminals::LabTerminals(const NetnsLab& lab, std::filesystem::path dir,
                           std::filesystem::path callcast, std::string sip_server,
                           std::string password)
    : lab_(lab),
      dir_(std::move(dir)),
      callcast_(callcast.string()),
      sip_server_(std::move(sip_server)),
      password_(std::move(password)) {}

ChildProcess& LabTerminals::start(const std::string& host, std::vector<std::string> argv,
                                  const std::string& name) {
  ChildOptions child;
  child.argv = lab_.in(lab_.host(host), std::move(argv));
  child.stdout_file = dir_ / (name + ".out");
  child.stderr_file = dir_ / (name + ".err");
  return adopt(std::move(child));
}

ChildProcess& LabTerminals::adopt(ChildOptions options) {
  terminals_.push_back(std::make_unique<ChildProcess>(std::move(options)));
  EXPECT_TRUE(terminals_.back()->started()) << terminals_.back()->error();
  return *terminals_.back();
}

std::vector<std::string> LabTerminals::account(const std::string& number,
                                               const std::string& name) const {
  return {"--number",     number,
          "--password",   password_,
          "--server",     sip_server_,
          "--log-level",  "info",
          "--stats-json", (dir_ / (name + ".stats.json")).string()};
}

ChildProcess& LabTerminals::broadcast(const std::string& number, const std::string& host) {
  std::vector<std::string> argv = {callcast_, "broadcast"};
  for (auto& flag : account(number, "broadcast-" + number))
    argv.push_back(std::move(flag));
  for (const char* flag :
       {"--size", "320x180", "--fps", "15", "--bitrate", "300k", "--keyframe-interval", "1"}) {
    argv.emplace_back(flag);
  }
  return start(host, std::move(argv), "broadcast-" + number);
}

ChildProcess& LabTerminals::watch(const std::string& number, const std::string& viewer,
                                  const std::string& host, std::vector<std::string> more) {
  std::vector<std::string> argv = {callcast_, "watch", number};
  for (auto& flag : account(viewer, "watch-" + viewer))
    argv.push_back(std::move(flag));
  for (auto& flag : more)
    argv.push_back(std::move(flag));
  return start(host, std::move(argv), "watch-" + viewer);
}

std::string LabTerminals::output(const ChildProcess& child) {
  return file_tail(child.options().stdout_file, 256 * 1024) +
         file_tail(child.options().stderr_file, 64 * 1024);
}

::testing::AssertionResult LabTerminals::wait_for_output(ChildProcess& child,
                                                         const std::string& text,
                                                         std::chrono::milliseconds timeout) {
  if (wait_until([&] { return output(child).find(text) != std::string::npos || !child.running(); },
                 timeout, 50ms) &&
      output(child).find(text) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "\"" << text << "\" not in the output of " << child.command_line() << " ("
         << (child.running() ? "still running" : child.status()->describe()) << "):\n"
         << output(child);
}

}  // namespace callcast::test
