#include "support/e2e_test.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "support/media_tools.hpp"

namespace callcast::test {

void E2eTest::SetUp() {
  const std::string missing = missing_tools();
  ASSERT_TRUE(missing.empty()) << "the end-to-end tests need " << missing
                               << " (Debian: make deps installs them)";
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  // Parameterised tests are named "Prefix/Suite.Test/Param": no '/' in a directory's name.
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(name.begin(), name.end(), '/', '_');
  dir_ = std::make_unique<TempDir>(name);
  server_ = std::make_unique<CallcastServer>(callcastd_, dir_->path(), server_options());
  ASSERT_TRUE(server_->start());
  server_ready_ = true;
}

void E2eTest::TearDown() {
  const bool failed = HasFailure();
  for (auto& child : children_) {
    const bool was_running = child->running();
    // SIGTERM lets ffmpeg and GStreamer close their files; SIGKILL follows after the grace.
    const ExitStatus status = child->terminate(SIGTERM, std::chrono::seconds(3));
    if (failed) {
      std::fprintf(
          stderr, "[e2e] %s\n[e2e]   %s; stderr (%s):\n%s\n", child->command_line().c_str(),
          ((was_running ? "stopped by the test: " : "ended: ") + status.describe()).c_str(),
          child->options().stderr_file.c_str(), child->stderr_tail(4000).c_str());
    }
  }
  children_.clear();
  // The server must have survived the test and stop cleanly when asked.
  if (server_ready_) {
    EXPECT_TRUE(server_->alive()) << "callcastd ended during the test: "
                                  << server_->stop().describe();
    const ExitStatus status = server_->stop();
    EXPECT_TRUE(status.success()) << "callcastd did not exit cleanly on SIGTERM: "
                                  << status.describe();
  }
  server_.reset();
  dir_.reset();
}

ChildProcess& E2eTest::spawn(ChildOptions options) {
  children_.push_back(std::make_unique<ChildProcess>(std::move(options)));
  ChildProcess& child = *children_.back();
  if (!child.started()) {
    ADD_FAILURE() << "cannot start " << child.command_line() << ": " << child.error();
  }
  return child;
}

std::string E2eTest::create_group(const std::string& master) {
  auto url = api().create_group(master);
  return url.value_or("");
}

std::string E2eTest::admit_viewer(const std::string& group, const std::string& viewer) {
  auto url = api().admit_viewer(group, viewer);
  return url.value_or("");
}

}  // namespace callcast::test
