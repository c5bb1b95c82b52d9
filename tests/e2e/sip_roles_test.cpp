// callcastd's roles apart: `--role media` and `--role signaling --media-url ...` as two processes
// run the same flow as the single process, with the same message sequence; and the network
// side's state that must outlive a process (forwarding rules) does.
#include <gtest/gtest.h>

#include <filesystem>

#include "sip/iptv_sdp.hpp"
#include "support/sip_e2e.hpp"

namespace callcast::test {
namespace {

class SipRolesApartTest : public SipE2eTest {
 protected:
  SipRolesApartTest() : SipE2eTest(CALLCASTD_PATH) {}

  // The fixture's own server is the media role.
  ServerOptions server_options() const override {
    ServerOptions options;
    options.role = "media";
    return options;
  }

  void SetUp() override {
    SipE2eTest::SetUp();
    if (HasFatalFailure()) return;
    ServerOptions options = SipE2eTest::server_options();
    options.role = "signaling";
    options.extra_args = {"--media-url",
                          "http://127.0.0.1:" + std::to_string(server().http_port())};
    const auto signaling_dir = dir() / "signaling";
    std::filesystem::create_directories(signaling_dir);
    signaling_ = std::make_unique<CallcastServer>(CALLCASTD_PATH, signaling_dir, options);
    ASSERT_TRUE(signaling_->start());
    EXPECT_EQ(signaling_->ready().rtsp_port, 0) << "the signaling role serves no RTSP";
  }

  void TearDown() override {
    signaling_.reset();  // before the media role, so its last requests find it
    SipE2eTest::TearDown();
  }

  CallcastServer& signaling_server() override { return *signaling_; }

  std::unique_ptr<CallcastServer> signaling_;
};

TEST_F(SipRolesApartTest, TwoProcessesGiveTheSameSequenceAsOne) {
  run_broadcast_and_watch();
}

TEST_F(SipRolesApartTest, TheMediaRoleLosingTheMasterEndsTheCallsOfTheSignalingRole) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  // Closing the group on the media side (an operator, or master_lost) reaches the signaling
  // process through the event feed: it BYEs the master.
  ASSERT_EQ(api().http().del("/v1/groups/" + std::string(kMaster)).status, 204);
  const auto ended = broadcast.call->wait_terminated(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, "BYE from remote");
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipRolesApartTest, AMediaRoleRestartEndsTheBroadcastsItForgot) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  // The media role goes away and comes back empty on the same HTTP address. Its event feed is
  // gone: the signaling role notices when the media role answers again with a new epoch, and
  // resyncs.
  server().keep_http_address();
  ASSERT_TRUE(server().stop().success());
  ASSERT_TRUE(server().start());
  const auto ended = broadcast.call->wait_terminated(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, "BYE from remote");
  EXPECT_TRUE(signaling_->wait_for_log("event=resync_group_gone", 2s));
  EXPECT_TRUE(wait_all_clean());
  EXPECT_EQ(ut("GET", kMaster).status, 404) << "the master's forwarding is cleared";
}

class SipRestartTest : public SipE2eTest {
 protected:
  SipRestartTest() : SipE2eTest(CALLCASTD_PATH) {}
};

TEST_F(SipRestartTest, ForwardingRulesSurviveARestart) {
  set_forwarding(kMaster, kServiceNumber);
  set_forwarding(kOther, kMaster);
  ASSERT_TRUE(server().stop().success());
  ASSERT_TRUE(server().start());  // same users file and forwarding database
  const auto rule = ut("GET", kMaster);
  EXPECT_EQ(rule.status, 200);
  EXPECT_EQ(rule.body, R"({"target":"777"})");
  EXPECT_EQ(ut("GET", kOther).body, R"({"target":"13800000001"})");
  // The rule is there, the broadcast is not: a viewer is told so (480), not 404.
  auto viewer = agent(kViewer);
  auto call = viewer->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(call->wait_for_status(480, 5s));
  // And a new broadcast works at once with the kept rule.
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  auto watcher = agent(kViewer2);
  auto watch = watcher->call(kOther, sip::make_iptv_offer("127.0.0.1"));
  EXPECT_TRUE(watch->wait_answered(10s));
  broadcast.call->hang_up();
  EXPECT_TRUE(watch->wait_terminated(10s));
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test
