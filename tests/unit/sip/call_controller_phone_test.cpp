// 710-714 for a standard SIP phone (issue 13): it calls the broadcaster's number with an ordinary
// audio/video offer (the real offers of baresip and linphonec, tests/unit/sipwire/offers), is
// admitted, its answer is planned from the group's tracks, it gets a sendonly 200, and at its ACK
// the media side starts plain RTP to it; every refusal on the way leaves nothing admitted.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"
#include "sipwire/iptv_sdp.hpp"
#include "sipwire/warning_text.hpp"
#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip::test {
namespace {

using control::ControlErrorCode;
using sip::testing::offer_text;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kMediaHost = "192.0.2.10";
constexpr std::uint16_t kMediaRtpPort = 40000;

control::TrackFormat h264_track(const std::string& fmtp) {
  return {"video", "H264", 90000, 0, 96, fmtp};
}
control::TrackFormat opus_track() {
  return {"audio", "opus", 48000, 2, 97, "sprop-stereo=1"};
}
control::TrackFormat aac_track() {
  return {"audio", "MPEG4-GENERIC",
          44100,   2,
          97,      "streamtype=5;profile-level-id=1;mode=AAC-hbr;config=1210;sizelength=13"};
}
std::vector<control::TrackFormat> h264_and_opus() {
  return {h264_track("packetization-mode=1;profile-level-id=42e01f"), opus_track()};
}

// An offer with no format callcast can send: VP8 video, G.729 audio.
const std::string kVp8AndG729Offer =
    "v=0\r\no=- 1 1 IN IP4 10.77.0.9\r\ns=-\r\nc=IN IP4 10.77.0.9\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    "m=video 5002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n";

bool has_line(const std::string& sdp, const std::string& line) {
  return sdp.find(line + "\r\n") != std::string::npos;
}

class PhoneViewerTest : public SignalingCoreTest {
 protected:
  // The phone INVITEs the live master's number with `offer` (its 181 checked).
  StackHandle phone_calls(const std::string& offer) {
    const auto handle = receive(invite(kMaster, kViewer, offer));
    EXPECT_EQ(last_answer(handle).status, 181);
    return handle;
  }

  void media_admits_with(std::vector<control::TrackFormat> tracks,
                         std::uint16_t rtcp_port = kMediaRtpPort + 1) {
    ASSERT_FALSE(media_.admits.empty());
    auto request = std::move(media_.admits.front());
    media_.admits.pop_front();
    control::ViewerAdmitted admitted;
    admitted.group = request.group;
    admitted.viewer = request.viewer;
    admitted.play_url = "rtsp://media/play/" + request.group;
    admitted.tracks = std::move(tracks);
    admitted.rtp_host = kMediaHost;
    admitted.rtp_port = kMediaRtpPort;
    admitted.rtcp_port = rtcp_port;
    request.done(std::move(admitted));
  }

  // The phone's ACK came: the media side is asked to start its RTP.
  void phone_acks(StackHandle phone) {
    receive_ack(phone);
    ASSERT_FALSE(media_.phone_viewers.empty()) << "no start_phone_viewer at the ACK";
  }

  // The media side started the phone's RTP (the last start_phone_viewer asked): the viewer is
  // playing (viewer_joined) before the start completes, as in PhoneViewers::start.
  void media_starts_phone() {
    ASSERT_FALSE(media_.phone_viewers.empty());
    const auto& request = media_.phone_viewers.back().request;
    media_reports(core::GroupEventKind::viewer_joined, request.group, request.viewer, "");
    media_.phone_viewers.back().done(control::PhoneViewerStarted{"phone-session-1"});
  }

  // A baresip phone watching the live master whose group sends H.264 and Opus: answered 200.
  StackHandle phone_watches() {
    master_ = start_live_broadcast(kMaster);
    const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
    media_admits_with(h264_and_opus());
    expect_final_answer(phone, 200);
    phone_acks(phone);
    media_starts_phone();
    return phone;
  }

  StackHandle master_ = 0;

  bool viewer_removed() const {
    return std::find(media_.removed_viewers.begin(), media_.removed_viewers.end(),
                     std::make_pair(kMaster, kViewer)) != media_.removed_viewers.end();
  }
};

TEST_F(PhoneViewerTest, BaresipIsAnsweredSendonlyFromTheMediaAddressWithItsPayloadTypes) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  const auto ok = expect_final_answer(phone, 200);
  EXPECT_TRUE(media_.phone_viewers.empty()) << "its media starts at its ACK, not before";
  phone_acks(phone);
  media_starts_phone();
  expect_no_bye(phone);
  EXPECT_EQ(ok.content_type, "application/sdp");
  EXPECT_TRUE(ok.warning.empty()) << ok.warning;
  const std::string& sdp = ok.body;
  EXPECT_TRUE(has_line(sdp, "c=IN IP4 " + kMediaHost)) << sdp;
  // One answer line per offered line, in order; baresip's Opus is its 96, its mode-1 H.264 97.
  EXPECT_TRUE(has_line(sdp, "m=audio 40000 RTP/AVP 96")) << sdp;
  EXPECT_TRUE(has_line(sdp, "a=rtpmap:96 opus/48000/2")) << sdp;
  EXPECT_TRUE(has_line(sdp, "m=video 40000 RTP/AVP 97")) << sdp;
  EXPECT_TRUE(has_line(sdp, "a=rtpmap:97 H264/90000")) << sdp;
  EXPECT_TRUE(has_line(sdp, "a=rtcp-fb:97 nack pli")) << sdp;
  EXPECT_THAT(sdp, HasSubstr("a=sendonly"));
  EXPECT_THAT(sdp, Not(HasSubstr("a=sendrecv")));
  EXPECT_THAT(sdp, Not(HasSubstr("a=rtcp:")));  // the server's RTCP is on RTP + 1
  EXPECT_THAT(sdp, Not(HasSubstr("rtsp")));
  EXPECT_EQ(rtsp_uri_from_sdp(sdp), "");
}

TEST_F(PhoneViewerTest, MediaSideIsAskedForOneRoutePerAcceptedLineToThePhone) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  phone_acks(phone);
  ASSERT_EQ(media_.phone_viewers.size(), 1u);
  const auto& request = media_.phone_viewers.front().request;
  EXPECT_EQ(request.group, kMaster);
  EXPECT_EQ(request.viewer, kViewer);
  EXPECT_EQ(request.signaling_address, "203.0.113.7");  // where its INVITE came from
  ASSERT_EQ(request.tracks.size(), 2u);
  const auto& video = request.tracks[0];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.host, "10.77.0.1");
  EXPECT_EQ(video.rtp_port, 2080);
  EXPECT_EQ(video.rtcp_port, 2081);
  EXPECT_EQ(video.payload_type, 97);
  const auto& audio = request.tracks[1];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.host, "10.77.0.1");
  EXPECT_EQ(audio.rtp_port, 13162);
  EXPECT_EQ(audio.rtcp_port, 13163);
  EXPECT_EQ(audio.payload_type, 96);
}

TEST_F(PhoneViewerTest, LinphoneWithoutAUsableH264GetsAudioAndAWarningSayingWhyNoPicture) {
  start_live_broadcast(kMaster);
  // linphonec's H.264 has no packetization-mode (0): it cannot take the relay's FU-A fragments.
  const auto phone = phone_calls(offer_text("linphonec_5.1_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  const auto ok = expect_final_answer(phone, 200);
  phone_acks(phone);
  ASSERT_EQ(media_.phone_viewers.size(), 1u);
  const auto& routes = media_.phone_viewers.front().request.tracks;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].media, "audio");
  EXPECT_EQ(routes[0].rtp_port, 7078);
  EXPECT_THAT(warning_text(ok.warning), HasSubstr("no picture"));
  EXPECT_TRUE(has_line(ok.body, "m=video 0 RTP/AVP 96 97")) << ok.body;
  EXPECT_TRUE(has_line(ok.body, "m=audio 40000 RTP/AVP 96")) << ok.body;
}

TEST_F(PhoneViewerTest, NoCommonCodecIs488WithTheGroupsCodecsAndNothingLeftAdmitted) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(kVp8AndG729Offer);
  media_admits_with(h264_and_opus());
  const auto refused = expect_final_answer(phone, 488);
  EXPECT_THAT(warning_text(refused.warning), HasSubstr("no common codec"));
  EXPECT_THAT(warning_text(refused.warning), HasSubstr("H264"));
  EXPECT_TRUE(media_.phone_viewers.empty());
  EXPECT_TRUE(viewer_removed());
}

TEST_F(PhoneViewerTest, GroupWithoutTracksYetIs480AndReleasesTheAdmission) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with({});
  EXPECT_THAT(warning_text(expect_final_answer(phone, 480).warning), HasSubstr("not live yet"));
  EXPECT_TRUE(media_.phone_viewers.empty());
  EXPECT_TRUE(viewer_removed());
}

TEST_F(PhoneViewerTest, AudioTheGroupSendsInAacGoesToThePhoneTranscodedToItsFirstCodec) {
  start_live_broadcast(kMaster);
  // baresip prefers PCMU; the group's audio is AAC, which no phone here decodes.
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with({h264_track("packetization-mode=1;profile-level-id=42e01f"), aac_track()});
  const auto ok = expect_final_answer(phone, 200);
  phone_acks(phone);
  ASSERT_EQ(media_.phone_viewers.size(), 1u);
  const auto& routes = media_.phone_viewers.front().request.tracks;
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].media, "video");
  EXPECT_EQ(routes[0].transcode_to, "");
  EXPECT_EQ(routes[1].media, "audio");
  EXPECT_EQ(routes[1].transcode_to, "PCMU");
  EXPECT_EQ(routes[1].payload_type, 0);
  EXPECT_TRUE(has_line(ok.body, "m=audio 40000 RTP/AVP 0")) << ok.body;
  EXPECT_TRUE(has_line(ok.body, "a=rtpmap:0 PCMU/8000")) << ok.body;
  EXPECT_TRUE(has_line(ok.body, "m=video 40000 RTP/AVP 97")) << ok.body;
}

TEST_F(PhoneViewerTest, AudioOnlyPhoneGetsTheGroupsAudioTranscoded) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_only.sdp"));
  media_admits_with({h264_track("packetization-mode=1;profile-level-id=42e01f"), aac_track()});
  expect_final_answer(phone, 200);
  phone_acks(phone);
  ASSERT_EQ(media_.phone_viewers.size(), 1u);
  const auto& routes = media_.phone_viewers.front().request.tracks;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].media, "audio");
  EXPECT_FALSE(routes[0].transcode_to.empty());
}

TEST_F(PhoneViewerTest, ServerRtcpOffItsRtpPortPlusOneIsSaidWithARtcpOnAcceptedLines) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("linphonec_5.1_audio_video.sdp"));
  media_admits_with(h264_and_opus(), 40010);
  const std::string sdp = expect_final_answer(phone, 200).body;
  EXPECT_THAT(sdp, HasSubstr("m=audio 40000 RTP/AVP 96\r\na=rtcp:40010\r\n"));
  EXPECT_EQ(sdp.find("a=rtcp:"), sdp.rfind("a=rtcp:")) << "only the accepted line: " << sdp;
}

TEST_F(PhoneViewerTest, MediaSideFailingToStartThePhoneEndsItsCallWithAByeSayingWhy) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  expect_final_answer(phone, 200);
  phone_acks(phone);
  media_.phone_viewers.back().done(
      callcast::fail(control::ControlError{ControlErrorCode::unavailable, "down"}));
  expect_bye(phone, "SIP;cause=503;text=\"the media could not start\"");
  EXPECT_TRUE(viewer_removed());
}

TEST_F(PhoneViewerTest, UnreadableOfferIs488BeforeAnythingIsAdmitted) {
  start_live_broadcast(kMaster);
  const std::string bad =
      "v=0\r\no=- 1 1 IN IP4 10.77.0.9\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
  const auto phone = receive(invite(kMaster, kViewer, bad));
  EXPECT_THAT(warning_text(expect_final_answer(phone, 488).warning), HasSubstr("SDP offer"));
  EXPECT_TRUE(media_.admits.empty());
}

TEST_F(PhoneViewerTest, PhonesByeRemovesTheViewer) {
  const auto phone = phone_watches();
  EXPECT_FALSE(viewer_removed());
  receive_bye(phone);
  EXPECT_THAT(media_.removed_viewers, ElementsAre(std::make_pair(kMaster, kViewer)));
}

TEST_F(PhoneViewerTest, ByeBeforeItsAckRemovesTheViewerAndStartsNothing) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  expect_final_answer(phone, 200);
  receive_bye(phone);
  EXPECT_TRUE(viewer_removed());
  receive_ack(phone);
  EXPECT_TRUE(media_.phone_viewers.empty());
}

TEST_F(PhoneViewerTest, ByeWhileItsMediaStartsRemovesTheViewerAndUndoesTheLateStart) {
  start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  expect_final_answer(phone, 200);
  phone_acks(phone);
  receive_bye(phone);
  EXPECT_TRUE(viewer_removed());
  media_.removed_viewers.clear();
  media_starts_phone();  // came too late: undone
  EXPECT_TRUE(viewer_removed());
}

TEST_F(PhoneViewerTest, BroadcastEndSendsTheAnsweredPhoneABye) {
  const auto phone = phone_watches();
  receive_bye(master_);
  expect_bye(phone, "broadcast ended");
  EXPECT_EQ(media_.closed_groups, std::vector<std::string>{kMaster});
}

TEST_F(PhoneViewerTest, BroadcastEndWhileThePhonesMediaStartsEndsItsCall) {
  const auto master = start_live_broadcast(kMaster);
  const auto phone = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  expect_final_answer(phone, 200);
  phone_acks(phone);
  receive_bye(master);
  expect_bye(phone, "broadcast ended");
  media_starts_phone();  // the group is gone: nothing more happens to the call
  expect_bye(phone, "broadcast ended");
}

// Issue 13 item 4: a phone's media starts at its ACK; once started, the start timeout never ends
// it.
TEST_F(PhoneViewerTest, PhoneWhoseMediaStartedAtItsAckKeepsItsCall) {
  const auto phone = phone_watches();
  time_.advance(config_.viewer_media_start_timeout * 3);
  expect_no_bye(phone);
  EXPECT_FALSE(viewer_removed());
}

// Item 3: a phone silent for the media side's session timeout is dropped there; its call ends.
TEST_F(PhoneViewerTest, PhoneTheMediaSideTimedOutGetsAByeSayingWhy) {
  const auto phone = phone_watches();
  media_reports(core::GroupEventKind::viewer_left, kMaster, kViewer, "timeout");
  expect_bye(phone, "SIP;cause=408;text=\"no media reports from the terminal");
  EXPECT_TRUE(viewer_removed());
  expect_no_bye(master_);
}

// The phone calls again while its old call is up: the new call's media replaces the old one's
// ("replaced by a new call"). The old call ends, the new one is answered and stays.
TEST_F(PhoneViewerTest, PhoneCallingAgainKeepsItsNewCallAndItsOldOneEnds) {
  const auto old_call = phone_watches();
  const auto new_call = phone_calls(offer_text("baresip_1.0_audio_video.sdp"));
  media_admits_with(h264_and_opus());
  expect_final_answer(new_call, 200);
  phone_acks(new_call);
  media_reports(core::GroupEventKind::viewer_left, kMaster, kViewer, "replaced by a new call");
  media_starts_phone();
  expect_bye(old_call, "replaced by a new call");
  expect_no_bye(new_call);
  EXPECT_FALSE(viewer_removed()) << "the new call holds the admission";

  time_.advance(config_.viewer_media_start_timeout * 3);
  expect_no_bye(new_call);
  receive_bye(old_call);  // the old dialog's end, reported by the stack
  EXPECT_FALSE(viewer_removed());
  receive_bye(new_call);
  EXPECT_TRUE(viewer_removed());
}

TEST_F(PhoneViewerTest, TerminalsIptvViewerIsStillAnsweredWithThePlayUri) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  media_admits_with(h264_and_opus());
  const auto ok = expect_final_answer(viewer, 200);
  EXPECT_EQ(rtsp_uri_from_sdp(ok.body), "rtsp://media/play/" + kMaster);
  EXPECT_TRUE(media_.phone_viewers.empty());
  EXPECT_TRUE(ok.warning.empty());
}

}  // namespace
}  // namespace callcast::sip::test
