// The whole flow of the patent's figure 7 through callcastd's network side, with scripted SIP
// user agents as the master and viewer terminals, ffmpeg publishing to the URI of the 183 and
// ffprobe playing the URI of the viewer's 200 OK. Each step's messages are asserted exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sipwire/iptv_sdp.hpp"
#include "support/baresip_phone.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/sip_e2e.hpp"
#include "support/udp_media_receiver.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

class SipFlowTest : public SipE2eTest {
 protected:
  SipFlowTest() : SipE2eTest(CALLCASTD_PATH) {}
};

TEST_F(SipFlowTest, BroadcastAndWatchFollowTheStepsOfFigure7) {
  run_broadcast_and_watch();
}

// Issue 10 item 7: a master whose INVITE says Recv-Info: callcast-audience hears the number of
// viewers playing its group in INFO requests (RFC 6086) inside its dialog; a player admitted
// through the control API alone (no SIP call) counts too.
TEST_F(SipFlowTest, AMasterTakingTheAudiencePackageHearsItsViewersInInfo) {
  sipua::UserAgentOptions options;
  options.account = {kMaster, kPassword, sip_domain()};
  options.info_packages = {"callcast-audience"};
  SipTestAgent master(options);
  ASSERT_TRUE(master.ok()) << master.error();
  auto call =
      master.call(kServiceNumber, sip::make_iptv_offer("127.0.0.1", sip::IptvDirection::sendonly));
  ASSERT_TRUE(call->wait_for_status(183, 10s));
  const auto url = sip::rtsp_uri_from_sdp(call->last_response(183)->body);
  ASSERT_FALSE(url.empty());
  spawn(ffmpeg_publisher(url, dir(), true, "publisher"));
  ASSERT_TRUE(call->wait_answered(15s));
  EXPECT_NE(call->message_text(">INVITE").value_or("").find("Recv-Info: callcast-audience\r\n"),
            std::string::npos);
  // The 183 and 200 name the Ut API.
  const std::string ut =
      "<http://127.0.0.1:" + std::to_string(server().http_port()) + ">;purpose=callcast-ut";
  for (const char* label : {"<183", "<200"}) {
    EXPECT_NE(call->message_text(label).value_or("").find("Call-Info: " + ut), std::string::npos)
        << call->message_text(label).value_or(label);
  }

  const auto play_url = api().admit_viewer(kMaster, kViewer);
  ASSERT_TRUE(play_url);
  auto& player = spawn(ffprobe_live_viewer(*play_url, 20, dir(), "ffprobe-viewer"));
  ASSERT_TRUE(call->wait_for_message("<INFO", 20s));
  const std::string info = call->message_text("<INFO").value_or("");
  EXPECT_NE(info.find("Info-Package: callcast-audience\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("Content-Type: application/vnd.callcast.audience+json\r\n"),
            std::string::npos)
      << info;
  EXPECT_NE(info.find("\r\n\r\n{\"viewers\":1}"), std::string::npos) << info;
  EXPECT_TRUE(call->wait_for_message(">200 INFO", 5s));

  // The player is removed: one more INFO, with 0, at least a second after the first.
  ASSERT_EQ(api().http().del("/v1/groups/" + std::string(kMaster) + "/viewers/" + kViewer).status,
            204);
  EXPECT_TRUE(server().wait_for_log("event=audience_info viewers=0", 5s));
  EXPECT_TRUE(wait_until(
      [&] {
        const auto sequence = call->sequence();
        return std::count(sequence.begin(), sequence.end(), ">200 INFO") == 2;
      },
      5s))
      << testing::PrintToString(call->sequence());
  player.terminate(SIGTERM, 2s);
  call->hang_up();
  EXPECT_TRUE(call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipFlowTest, ACallerWithout100relGetsAnUnreliable183) {
  // RFC 3262 is optional: the 183 with the publish URI then goes once, without PRACK.
  sipua::UserAgentOptions options;
  options.account = {kMaster, kPassword, sip_domain()};
  options.support_100rel = false;
  SipTestAgent master(options);
  ASSERT_TRUE(master.ok()) << master.error();
  auto call = master.call(kServiceNumber, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(call->wait_for_status(183, 10s));
  const auto url = sip::rtsp_uri_from_sdp(call->last_response(183)->body);
  ASSERT_FALSE(url.empty());
  spawn(ffmpeg_publisher(url, dir(), false, "publisher"));
  ASSERT_TRUE(call->wait_answered(15s));
  EXPECT_EQ(call->sequence(),
            (std::vector<std::string>{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<183",
                                      "<200", ">ACK"}));
  EXPECT_EQ(call->message_text("<183").value_or("").find("RSeq:"), std::string::npos);
  call->hang_up();
  EXPECT_TRUE(call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

// Issue 13: a standard SIP phone's offer (audio/video RTP lines, no iptv_rtsp line) to the
// broadcaster's number is answered by offer/answer, and the group's video arrives as plain RTP
// under the phone's payload type at the address of its SDP. The group's audio is AAC, which the
// phone does not offer: it gets it transcoded to the PCMU it offers, 20 ms per packet.
TEST_F(SipFlowTest, APhoneGetsTheGroupsVideoAsPlainRtpUnderItsPayloadTypeAndItsAudioAsPcmu) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  UdpMediaReceiver audio;
  UdpMediaReceiver video;
  ASSERT_TRUE(audio.ok()) << audio.error();
  ASSERT_TRUE(video.ok()) << video.error();
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio " +
      std::to_string(audio.rtp_port()) +
      " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=video " +
      std::to_string(video.rtp_port()) +
      " RTP/AVP 109\r\n"
      "a=rtpmap:109 H264/90000\r\na=fmtp:109 packetization-mode=1;profile-level-id=42e01f\r\n"
      "a=rtcp-fb:109 nack pli\r\n";
  Watch phone{agent(kViewer), nullptr, {}};
  phone.call = phone.agent->call(kMaster, offer);
  ASSERT_TRUE(phone.call->wait_answered(10s));
  const std::string answer = phone.call->last_response(200)->body;
  EXPECT_NE(answer.find(" RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("m=audio 0 "), std::string::npos) << answer;
  EXPECT_NE(answer.find(" RTP/AVP 109\r\na=rtpmap:109 H264/90000\r\n"), std::string::npos)
      << answer;
  EXPECT_NE(answer.find("a=sendonly\r\n"), std::string::npos) << answer;
  EXPECT_TRUE(sip::rtsp_uri_from_sdp(answer).empty()) << answer;
  // The media side was told where the phone's SIP came from (its Via), to latch its RTP from.
  EXPECT_TRUE(server().wait_for_log("source=127.0.0.1 after_ms=", 1s)) << server().log_tail();
  EXPECT_TRUE(
      server().wait_for_log("event=phone_audio_transcoded from=MPEG4-GENERIC to=PCMU/8000", 1s))
      << server().log_tail();

  int packets = 0;
  for (int i = 0; i < 20; ++i) {
    const auto rtp = video.receive_rtp(5s);
    ASSERT_TRUE(rtp) << "no RTP to the phone's video port after " << packets << " packets";
    ASSERT_GE(rtp->size(), 12u);
    EXPECT_EQ((*rtp)[1] & 0x7f, 109) << "not the phone's payload type";
    ++packets;
  }
  for (int i = 0; i < 10; ++i) {
    const auto rtp = audio.receive_rtp(5s);
    ASSERT_TRUE(rtp) << "no RTP to the phone's audio port after " << i << " packets";
    ASSERT_EQ(rtp->size(), 12u + 160u) << "20 ms of G.711 at 8 kHz";
    EXPECT_EQ((*rtp)[1] & 0x7f, 0) << "not PCMU";
  }

  phone.call->hang_up();
  ASSERT_TRUE(phone.call->wait_terminated(5s));
  EXPECT_TRUE(server().wait_for_log("event=call_ended role=viewer by=BYE", 5s));
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

// Issue 13 with a real phone: Debian's baresip (with baresip-ffmpeg for H.264, set up as in
// tests/unit/sipwire/offers/README.md) calls the broadcaster's number, is answered, decodes the
// group's video, receives its AAC audio transcoded to PCMU (the first codec it offers), and
// hangs up with a BYE that removes it.
// `make deps` installs baresip: without it the test fails (a phone that cannot be tried is no
// pass).
TEST_F(SipFlowTest, BaresipCallsTheBroadcasterAndGetsTheGroupsVideoAndItsAudioTranscoded) {
  ASSERT_EQ(baresip_missing(), "") << "apt-get install baresip baresip-ffmpeg";
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  const auto config = dir() / "baresip";
  const ChildOptions options =
      baresip_phone({config, kViewer, kPassword, sip_domain(), kMaster, 6, {}});
  auto& phone = spawn(options);
  ASSERT_TRUE(phone.started()) << phone.error();
  EXPECT_TRUE(server().wait_for_log("event=viewer_answered kind=phone", 10s))
      << server().log_tail() << file_text(config / "stdout.log");
  // It quits after 6 s and hangs up first.
  EXPECT_TRUE(server().wait_for_log("step=714 event=call_ended role=viewer by=BYE", 10s))
      << file_text(config / "stdout.log");
  const std::string output = file_text(config / "stdout.log");
  EXPECT_NE(output.find("Call established"), std::string::npos) << output;
  EXPECT_NE(output.find("Set video decoder: H264 packetization-mode=1"), std::string::npos)
      << output;
  // The group's AAC, transcoded once for the group, reaches it as the PCMU it asked for.
  EXPECT_TRUE(server().wait_for_log("audio transcoded to PCMU", 1s)) << server().log_tail();
  EXPECT_NE(output.find("audio: Set audio decoder: PCMU 8000Hz 1ch"), std::string::npos) << output;
  EXPECT_NE(output.find("incoming rtp for 'audio' established"), std::string::npos) << output;
  // Printed once its decoder has given a picture: the relayed stream decodes.
  const auto picture = output.find("video: receiving with resolution");
  EXPECT_NE(picture, std::string::npos) << output;
  if (picture != std::string::npos) {
    std::printf("[e2e] baresip: %s\n",
                output.substr(picture, output.find('\n', picture) - picture).c_str());
  }
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

// Issue 13 with Debian's other phone: linphonec (linphone-cli 5.1, driven from its stdin) calls the
// broadcaster's number. Its video offer is VP8 and H.264 in packetization-mode 0 only, which the
// group's FU-A stream cannot be (a mode-0 receiver needs every NAL unit in one packet): it is
// answered with the audio and a Warning saying why there is no picture, and the call is up with
// its media until it hangs up.
TEST_F(SipFlowTest, LinphonecCallsTheBroadcasterAndGetsItsAudioAndAWarningWhyNoPicture) {
  ASSERT_EQ(std::system("command -v linphonec >/dev/null 2>&1"), 0)
      << "linphonec is not installed (apt-get install linphone-cli)";
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  const auto home = dir() / "linphone-home";
  std::filesystem::create_directories(home / ".local" / "share" / "linphone");
  const std::string domain = sip_domain();
  const std::string port = std::to_string(free_loopback_udp_port());
  const std::string script = "{ echo 'ipv6 disable'; echo 'ports sip " + port +
                             "'; sleep 1; echo 'register sip:" + std::string(kViewer) + "@" +
                             domain + " sip:" + domain + " " + kPassword +
                             "'; sleep 2; echo 'call sip:" + std::string(kMaster) + "@" + domain +
                             "'; sleep 6; echo 'terminate'; sleep 1; echo 'quit'; } | linphonec -V";
  ChildOptions options;
  options.argv = {"sh", "-c", script};
  options.extra_env = {"HOME=" + home.string()};
  options.stdout_file = dir() / "linphonec.out";
  options.stderr_file = dir() / "linphonec.err";
  auto& phone = spawn(options);
  ASSERT_TRUE(phone.started()) << phone.error();
  EXPECT_TRUE(server().wait_for_log("event=viewer_answered kind=phone", 15s))
      << server().log_tail() << file_text(dir() / "linphonec.out");
  EXPECT_TRUE(server().wait_for_log("note=\"no picture", 1s)) << server().log_tail();
  // Its audio goes out and its receiver reports come back while the call is up.
  std::string entry;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto group = api().group(kMaster);
        if (!group) return false;
        const auto viewer = find_viewer(*group, kViewer);
        if (viewer.is_null()) return false;
        entry = viewer.dump();
        return viewer.value("packets_sent", 0) > 50 && viewer.value("rtcp_reports", 0) > 0;
      },
      8s, 100ms))
      << entry;
  std::printf("[e2e] linphonec watching: %s\n", entry.c_str());
  EXPECT_TRUE(server().wait_for_log("step=714 event=call_ended role=viewer by=BYE", 15s))
      << file_text(dir() / "linphonec.out");
  const std::string output = file_text(dir() / "linphonec.out");
  EXPECT_NE(output.find("connected."), std::string::npos) << output;
  EXPECT_EQ(output.find("Incompatible SDP"), std::string::npos) << output;
  phone.wait_for(10s);
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
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
  EXPECT_NE(
      sip::rtsp_uri_from_sdp(call->last_sdp().value_or("")).find("/groups/" + std::string(kMaster)),
      std::string::npos);
  broadcast.call->hang_up();
  EXPECT_TRUE(call->wait_terminated(10s));
  EXPECT_TRUE(wait_all_clean());
  // Only the rule to the service number is cleared; kOther's own rule stays.
  EXPECT_EQ(ut("GET", kOther).status, 200);
}

}  // namespace
}  // namespace callcast::test
