// callcastd's command line as an operator meets it: --help names every address flag, and a bad
// config file, a bad flag or a busy port ends the start with one clear line and a non-zero exit.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

class CallcastdCliTest : public E2eTest {
 protected:
  CallcastdCliTest() : E2eTest(CALLCASTD_PATH) {}

  ToolRun run(std::vector<std::string> args) {
    args.insert(args.begin(), CALLCASTD_PATH);
    return run_tool(std::move(args), dir(), "callcastd-cli", 10s);
  }
};

TEST_F(CallcastdCliTest, HelpListsEveryAddressFlagAndTheConfigFile) {
  const ToolRun help = run({"--help"});
  ASSERT_TRUE(help.ok()) << help.err;
  for (const char* flag : {"--rtsp", "--http", "--rtp-ports", "--sip", "--config", "--role",
                           "--public-host", "--log-level"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << " missing from:\n" << help.out;
  }
}

TEST_F(CallcastdCliTest, UnknownConfigKeyIsAClearErrorNamingIt) {
  const auto config = dir() / "bad.toml";
  std::ofstream(config) << "[media]\nrtsp_port = 8554\n";
  const ToolRun start = run({"--config", config.string()});
  ASSERT_TRUE(start.status.has_value()) << "callcastd did not exit";
  EXPECT_FALSE(start.status->success());
  EXPECT_NE(start.err.find("media.rtsp_port"), std::string::npos) << start.err;
}

TEST_F(CallcastdCliTest, MalformedAddressFlagIsRefused) {
  const ToolRun start = run({"--rtsp", "127.0.0.1", "--http", "127.0.0.1:0", "--rtp-ports", "0-0"});
  ASSERT_TRUE(start.status.has_value());
  EXPECT_FALSE(start.status->success());
  EXPECT_NE(start.err.find("--rtsp"), std::string::npos) << start.err;
}

TEST_F(CallcastdCliTest, BusyRtspPortIsAClearErrorAndTheRunningServerIsUndisturbed) {
  // The fixture's own server holds its RTSP port: a second server asked for it must say so.
  const std::string taken = "127.0.0.1:" + std::to_string(server().ready().rtsp_port);
  const ToolRun start = run({"--rtsp", taken, "--http", "127.0.0.1:0", "--rtp-ports", "0-0"});
  ASSERT_TRUE(start.status.has_value());
  EXPECT_FALSE(start.status->success());
  EXPECT_NE(start.err.find("cannot listen for RTSP on " + taken), std::string::npos) << start.err;
  EXPECT_TRUE(server().alive());
  EXPECT_EQ(api().http().get("/healthz").status, 200);
}

}  // namespace
}  // namespace callcast::test
