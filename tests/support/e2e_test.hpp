#pragma once
// The base fixture of the end-to-end tests: a scratch directory, one callcastd on OS-chosen
// ports, and every child process the test starts, all torn down when the test ends (children
// first, then the server), with their logs printed when the test failed.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test {

class E2eTest : public ::testing::Test {
 protected:
  // `callcastd`: the binary under test (the test targets define CALLCASTD_PATH).
  explicit E2eTest(std::filesystem::path callcastd) : callcastd_(std::move(callcastd)) {}

  // The server each test gets; override for short timeouts.
  virtual ServerOptions server_options() const { return {}; }

  // Checks the tools are installed and starts callcastd; fatal failure otherwise.
  void SetUp() override;
  void TearDown() override;

  // Starts a child kept until the test ends; fatal failure when it cannot be started.
  ChildProcess& spawn(ChildOptions options);

  CallcastServer& server() { return *server_; }
  ControlApi api() const { return server_->api(); }
  const std::filesystem::path& dir() const { return dir_->path(); }

  // Creates a group for `master` (fatal failure if the API refuses): its publish URL.
  std::string create_group(const std::string& master);
  // Admits `viewer` (fatal failure if the API refuses): its play URL.
  std::string admit_viewer(const std::string& group, const std::string& viewer);

 private:
  std::filesystem::path callcastd_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<CallcastServer> server_;
  bool server_ready_ = false;  // started and printed its ready line
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

}  // namespace callcast::test
