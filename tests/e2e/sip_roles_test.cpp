// callcastd's roles apart: `--role media` and `--role signaling --media-url ...` as two processes
// run the same flow as the single process, with the same message sequence; and the network
// side's state that must outlive a process (forwarding rules) does.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "sipwire/iptv_sdp.hpp"
#include "support/control_api.hpp"
#include "support/sip_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

class SipRolesApartTest : public SipE2eTest {
 protected:
  SipRolesApartTest() : SipE2eTest(CALLCASTD_PATH) {}

  // The fixture's own server is the media role. A short publisher grace: a master whose RTSP
  // connection ends is master_lost after 1 s rather than 5.
  ServerOptions server_options() const override {
    ServerOptions options;
    options.role = "media";
    options.config_toml = "[media]\npublisher_grace_s = 1\n";
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
  auto viewer = agent(kViewer);
  auto watch =
      viewer->call(kMaster, sip::make_iptv_offer("127.0.0.1", sip::IptvDirection::recvonly));
  ASSERT_TRUE(watch->wait_answered(10s));
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
  // Master and viewer are told why, in the BYE's Reason (RFC 3326).
  const auto viewer_ended = watch->wait_terminated(10s);
  ASSERT_TRUE(viewer_ended);
  EXPECT_EQ(*viewer_ended, "BYE from remote");
  for (TestCall* call : {broadcast.call.get(), watch.get()}) {
    const std::string bye = call->message_text("<BYE").value_or("");
    EXPECT_NE(bye.find("Reason: SIP;cause=503;text=\"the streaming server restarted\""),
              std::string::npos)
        << bye;
    ASSERT_TRUE(call->end());
    EXPECT_EQ(call->end()->reason_text, "the streaming server restarted");
  }
  EXPECT_TRUE(wait_all_clean());
  EXPECT_EQ(ut("GET", kMaster).status, 404) << "the master's forwarding is cleared";
}

// Item 4 of issue 10: `kill -9` of the signaling role mid-broadcast, then a restart on the same
// ports and database. The resync rebuilds the broadcast from the media side's live group: new
// viewers are admitted, /v1/signaling shows it as restored. Dialogs of before the crash are gone
// with the process (sofia answers their BYE 481 itself), so the master's end reaches the network
// side through the media side: its RTSP connection ends -> master_lost -> the restored broadcast
// ends, its new viewers get BYE, its group closes, its forwarding is cleared.
TEST_F(SipRolesApartTest, ASignalingRestartKeepsTheBroadcastForNewViewers) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  const std::string watch_offer = sip::make_iptv_offer("127.0.0.1", sip::IptvDirection::recvonly);
  auto early_viewer = agent(kViewer);
  auto early = early_viewer->call(kMaster, watch_offer);
  ASSERT_TRUE(early->wait_answered(10s));
  // The early viewer plays for a few seconds across the restart, then its player ends (ffprobe
  // sends TEARDOWN).
  const std::string early_url = sip::rtsp_uri_from_sdp(early->last_sdp().value_or(""));
  ASSERT_FALSE(early_url.empty());
  auto& early_player = spawn(ffprobe_live_viewer(early_url, 4, dir(), "ffprobe-early"));
  ASSERT_TRUE(wait_until(
      [&] {
        auto group = api().group(kMaster);
        const auto viewer = group ? find_viewer(*group, kViewer) : nlohmann::json();
        return viewer.is_object() && viewer.value("state", "") == "playing";
      },
      10s));

  signaling_->keep_http_address();
  signaling_->keep_sip_address();
  const ExitStatus killed = signaling_->kill();
  EXPECT_FALSE(killed.exited) << killed.describe();
  ASSERT_TRUE(signaling_->start());
  ASSERT_TRUE(signaling_->wait_for_log("event=broadcast_restored", 10s));
  const auto stats = signaling_stats();
  ASSERT_EQ(stats["broadcast_list"].size(), 1u) << stats.dump();
  EXPECT_EQ(stats["broadcast_list"][0]["group"], kMaster) << stats.dump();
  EXPECT_EQ(stats["broadcast_list"][0]["restored"], true) << stats.dump();
  EXPECT_EQ(stats["broadcast_list"][0]["state"], "live") << stats.dump();
  EXPECT_EQ(stats["restored_broadcasts"], 1) << stats.dump();

  // A new viewer: 200 with its play URL, as before the crash.
  auto late_viewer = agent(kViewer2);
  auto late = late_viewer->call(kMaster, watch_offer);
  ASSERT_TRUE(late->wait_answered(10s));
  EXPECT_NE(
      sip::rtsp_uri_from_sdp(late->last_sdp().value_or("")).find("/groups/" + std::string(kMaster)),
      std::string::npos)
      << late->last_sdp().value_or("(no SDP)");

  // The early viewer's player ends: the restored broadcast revokes its admission (its BYE
  // could not do it).
  ASSERT_TRUE(early_player.wait_for(20s));
  EXPECT_TRUE(signaling_->wait_for_log("event=restored_viewer_left", 10s));
  EXPECT_TRUE(wait_until(
      [&] {
        auto group = api().group(kMaster);
        return group && find_viewer(*group, kViewer).is_null();
      },
      5s))
      << api().group(kMaster).value_or(nlohmann::json()).dump();

  // The early viewer's dialog died with the old process: sofia answers its BYE 481.
  early->hang_up();
  EXPECT_TRUE(early->wait_for_message("<481 BYE", 5s));
  ASSERT_TRUE(early->wait_terminated(5s));
  // So does the master's; what ends the broadcast is its media going (the terminal tears its
  // RTSP session down when it hangs up; here the publisher stops).
  broadcast.call->hang_up();
  EXPECT_TRUE(broadcast.call->wait_for_message("<481 BYE", 5s));
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  broadcast.publisher->terminate(SIGINT, 5s);
  const auto late_ended = late->wait_terminated(15s);
  ASSERT_TRUE(late_ended) << "the viewer admitted after the restart was not ended";
  EXPECT_EQ(*late_ended, "BYE from remote");
  EXPECT_TRUE(signaling_->wait_for_log("event=restored_broadcast_ended", 5s));
  EXPECT_TRUE(wait_all_clean(10s));
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
