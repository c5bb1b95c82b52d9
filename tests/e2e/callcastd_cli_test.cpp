// callcastd's command line as an operator meets it: --help names every address flag, and a bad
// config file, a bad flag or a busy port ends the start with one clear line and a non-zero exit.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
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
                           "--public-host", "--log-level", "--workers"}) {
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

// 704/713 hand the public host to terminals: one no terminal can connect to is refused at start.
TEST_F(CallcastdCliTest, UnreachablePublicHostIsRefusedAtStart) {
  for (const char* host : {"0.0.0.0", "239.1.2.3"}) {
    const ToolRun start = run({"--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports",
                               "0-0", "--role", "media", "--public-host", host});
    ASSERT_TRUE(start.status.has_value()) << host;
    EXPECT_FALSE(start.status->success()) << host;
    EXPECT_NE(start.err.find("media.public_host " + std::string(host) +
                             " is not an address a terminal can connect to"),
              std::string::npos)
        << start.err;
  }
  const ToolRun loopback = run({"--rtsp", "0.0.0.0:0", "--http", "127.0.0.1:0", "--rtp-ports",
                                "0-0", "--role", "media", "--public-host", "127.0.0.1"});
  ASSERT_TRUE(loopback.status.has_value());
  EXPECT_FALSE(loopback.status->success());
  EXPECT_NE(loopback.err.find("terminals on other hosts would be sent to themselves"),
            std::string::npos)
      << loopback.err;
}

TEST_F(CallcastdCliTest, SignalingRoleWithoutMediaUrlIsAClearError) {
  const ToolRun start =
      run({"--role", "signaling", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0"});
  ASSERT_TRUE(start.status.has_value());
  EXPECT_FALSE(start.status->success());
  EXPECT_NE(start.err.find("--role signaling needs --media-url"), std::string::npos) << start.err;
}

TEST_F(CallcastdCliTest, BusySipPortIsAClearError) {
  const std::string taken = "127.0.0.1:" + std::to_string(server().sip_port());
  const ToolRun start = run({"--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
                             "--sip", taken, "--users", (dir() / "users").string(),
                             "--forwarding-db", (dir() / "other.sqlite").string()});
  ASSERT_TRUE(start.status.has_value());
  EXPECT_FALSE(start.status->success());
  EXPECT_NE(start.err.find("sip: cannot listen on " + taken), std::string::npos) << start.err;
  EXPECT_TRUE(server().alive());
}

TEST_F(CallcastdCliTest, UserAddWritesHashesOnlyAndReplacesAPassword) {
  const auto users = dir() / "cli-users";
  const ToolRun added =
      run({"user", "add", "1001", "--password", "pw-one", "--users", users.string()});
  ASSERT_TRUE(added.ok()) << added.err;
  EXPECT_NE(added.out.find("added user 1001"), std::string::npos) << added.out;
  const ToolRun replaced =
      run({"user", "add", "1001", "--password", "pw-two", "--users", users.string()});
  ASSERT_TRUE(replaced.ok()) << replaced.err;
  EXPECT_NE(replaced.out.find("updated user 1001"), std::string::npos) << replaced.out;

  std::ifstream in(users);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("pw-"), std::string::npos) << "no clear-text password in the file";
  auth::UserDirectory directory(users, "callcast");
  ASSERT_TRUE(directory.load());
  const auto md5 = directory.ha1("1001", auth::DigestAlgorithm::md5);
  ASSERT_TRUE(md5);
  EXPECT_EQ(*md5, auth::digest_ha1(auth::DigestAlgorithm::md5, "1001", "callcast", "pw-two"));
  EXPECT_EQ(directory.ha1("1001", auth::DigestAlgorithm::sha256),
            auth::digest_ha1(auth::DigestAlgorithm::sha256, "1001", "callcast", "pw-two"));

  const ToolRun bad =
      run({"user", "add", "not a number", "--password", "x", "--users", users.string()});
  ASSERT_TRUE(bad.status.has_value());
  EXPECT_FALSE(bad.status->success());
}

TEST_F(CallcastdCliTest, UserListPasswdAndRemoveNeverPrintSecretsAndExitOneOnUnknownUsers) {
  const auto users = dir() / "cli-users";
  ASSERT_TRUE(run({"user", "add", "1001", "--password", "pw-one", "--users", users.string()}).ok());
  ASSERT_TRUE(run({"user", "add", "1002", "--password", "pw-two", "--users", users.string()}).ok());

  const ToolRun listed = run({"user", "list", "--users", users.string()});
  ASSERT_TRUE(listed.ok()) << listed.err;
  EXPECT_EQ(listed.out, "1001\n1002\n");

  const ToolRun changed =
      run({"user", "passwd", "1001", "--password", "pw-new", "--users", users.string()});
  ASSERT_TRUE(changed.ok()) << changed.err;
  EXPECT_EQ(changed.out.find("pw-new"), std::string::npos) << changed.out;
  auth::UserDirectory directory(users, "callcast");
  ASSERT_TRUE(directory.load());
  EXPECT_EQ(directory.ha1("1001", auth::DigestAlgorithm::md5),
            auth::digest_ha1(auth::DigestAlgorithm::md5, "1001", "callcast", "pw-new"));

  const ToolRun removed = run({"user", "remove", "1002", "--users", users.string()});
  ASSERT_TRUE(removed.ok()) << removed.err;
  EXPECT_EQ(run({"user", "list", "--users", users.string()}).out, "1001\n");

  for (const std::vector<std::string>& unknown :
       {std::vector<std::string>{"user", "remove", "1002", "--users", users.string()},
        std::vector<std::string>{"user", "passwd", "1009", "--password", "x", "--users",
                                 users.string()},
        std::vector<std::string>{"user", "list", "--users", (dir() / "absent").string()}}) {
    const ToolRun refused = run(unknown);
    ASSERT_TRUE(refused.status.has_value()) << unknown[1];
    EXPECT_TRUE(refused.status->exited) << unknown[1];
    EXPECT_EQ(refused.status->code, 1) << unknown[1] << ": " << refused.err;
    EXPECT_EQ(refused.out, "") << unknown[1];
    EXPECT_NE(refused.err.find("callcastd: user " + unknown[1] + ": "), std::string::npos)
        << refused.err;
  }
}

}  // namespace
}  // namespace callcast::test
