// The whole flow of the patent's figure 7 through callcastd's network side, with scripted SIP
// user agents as the master and viewer terminals, ffmpeg publishing to the URI of the 183 and
// ffprobe playing the URI of the viewer's 200 OK. Each step's messages are asserted exactly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sip/iptv_sdp.hpp"
#include "support/sip_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using Sequence = std::vector<std::string>;

class SipFlowTest : public SipE2eTest {
 protected:
  SipFlowTest() : SipE2eTest(CALLCASTD_PATH) {}
};

// The viewer terminal's part (710-714): calls the master's number, is forwarded (181), answered
// with its play URI, and plays it.
struct Watch {
  std::unique_ptr<SipTestAgent> agent;
  std::shared_ptr<TestCall> call;
  std::string play_url;
};

TEST_F(SipFlowTest, BroadcastAndWatchFollowTheStepsOfFigure7) {
  // 701-708
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  EXPECT_EQ(broadcast.call->sequence(),
            (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<183", ">PRACK",
                      "<200 PRACK", "<200", ">ACK"}));
  const auto answer = broadcast.call->last_response(200);
  ASSERT_TRUE(answer);
  EXPECT_EQ(sip::rtsp_uri_from_sdp(answer->body), broadcast.publish_url)
      << "707's 200 OK carries the same SDP as the 183";
  EXPECT_NE(answer->body.find("m=application " + std::to_string(server().rtsp_port()) +
                              " TCP iptv_rtsp"),
            std::string::npos)
      << answer->body;

  // 710-713
  Watch watch{agent(kViewer), nullptr, {}};
  watch.call = watch.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(watch.call->wait_answered(10s));
  EXPECT_EQ(watch.call->sequence(),
            (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<181", "<200",
                      ">ACK"}));
  watch.play_url = sip::rtsp_uri_from_sdp(watch.call->last_sdp().value_or(""));
  ASSERT_NE(watch.play_url.find("/groups/" + std::string(kMaster)), std::string::npos)
      << watch.call->last_sdp().value_or("(no SDP)");

  // 714: a real player decodes the group's stream from that URI.
  auto& viewer = spawn(ffprobe_live_viewer(watch.play_url, 3, dir(), "ffprobe-viewer"));
  ASSERT_TRUE(viewer.wait_for(20s)) << "ffprobe did not finish";
  const auto decoded = decoded_from_ffprobe_json(
      file_tail(viewer.options().stdout_file, 64 * 1024 * 1024), viewer.stderr_tail());
  ASSERT_TRUE(decoded.error.empty()) << decoded.error;
  EXPECT_GE(decoded.video_frames, kPublishFps) << "at least a second of video decoded";
  EXPECT_GT(decoded.audio_frames, 0);

  // The viewer hangs up: the media side forgets it.
  watch.call->hang_up();
  ASSERT_TRUE(watch.call->wait_terminated(5s));
  EXPECT_TRUE(wait_until(
      [&] {
        auto group = api().group(kMaster);
        return group && (*group)["viewers"].empty();
      },
      5s));

  // A second viewer is watching when the master hangs up: the network side ends its call too.
  Watch late{agent(kViewer2), nullptr, {}};
  late.call = late.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(late.call->wait_answered(10s));
  broadcast.call->hang_up();
  const auto ended = late.call->wait_terminated(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, "BYE from remote");
  EXPECT_EQ(late.call->sequence().back(), ">200 BYE");
  EXPECT_TRUE(broadcast.call->wait_terminated(5s));

  // Nothing is left: no group, no dialog, and the master's forwarding is cleared.
  EXPECT_TRUE(wait_all_clean());
  EXPECT_EQ(ut("GET", kMaster).status, 404);
}

TEST_F(SipFlowTest, TheSameFlowRunsOverTcp) {
  Broadcast broadcast = start_broadcast(kMaster, sipua::Transport::tcp);
  ASSERT_FALSE(broadcast.publish_url.empty());
  Watch watch{agent(kViewer, sipua::Transport::tcp), nullptr, {}};
  watch.call = watch.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(watch.call->wait_answered(10s));
  // The viewer hangs up over TCP; then the master.
  watch.call->hang_up();
  ASSERT_TRUE(watch.call->wait_terminated(5s));
  EXPECT_EQ(watch.call->sequence().back(), "<200 BYE");
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipFlowTest, AViewerFollowsOrdinaryForwardingToTheBroadcaster) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  set_forwarding(kOther, kMaster);  // kOther -> kMaster -> 777
  auto viewer = agent(kViewer);
  auto call = viewer->call(kOther, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(call->wait_answered(10s));
  EXPECT_NE(sip::rtsp_uri_from_sdp(call->last_sdp().value_or("")).find(
                "/groups/" + std::string(kMaster)),
            std::string::npos);
  broadcast.call->hang_up();
  EXPECT_TRUE(call->wait_terminated(10s));
  EXPECT_TRUE(wait_all_clean());
  // Only the rule to the service number is cleared; kOther's own rule stays.
  EXPECT_EQ(ut("GET", kOther).status, 200);
}

}  // namespace
}  // namespace callcast::test
