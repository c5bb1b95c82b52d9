// 701-707 for a standard SIP phone (issue 13): it calls the service number with an ordinary
// audio/video offer (baresip's real one, tests/unit/sipwire/offers), the group is created, the
// media side is asked to receive the phone's RTP, and the phone gets a recvonly 200 once the group
// is live (706). What cannot be broadcast is refused before anything is created.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"
#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip::test::call_controller_phone_broadcast_test {
namespace {

using control::ControlErrorCode;
using sip::testing::offer_text;
using ::testing::HasSubstr;
using ::testing::Not;

bool has_sdp_line(const std::string& sdp, const std::string& line) {
  return sdp.find(line + "\r\n") != std::string::npos;
}

class PhoneBroadcastTest : public SignalingCoreTest {
 protected:
  StackHandle phone_calls_service(const std::string& offer) {
    return receive(invite(config_.service_number, kMaster, offer));
  }
  bool group_closed() const {
    return std::find(media_.closed_groups.begin(), media_.closed_groups.end(), kMaster) !=
           media_.closed_groups.end();
  }
};

TEST_F(PhoneBroadcastTest, BaresipCreatesTheGroupFeedsItsRtpAndIsAnsweredRecvonlyOnceLive) {
  const auto phone = phone_calls_service(offer_text("baresip_1.0_audio_video.sdp"));
  ASSERT_EQ(media_.creates.size(), 1U);
  media_reports_group_created();
  expect_no_final_answer(phone);

  ASSERT_EQ(media_.phone_publishers.size(), 1U);
  const auto& request = media_.phone_publishers.front().request;
  EXPECT_EQ(request.group, kMaster);
  EXPECT_EQ(request.master, kMaster);
  ASSERT_EQ(request.tracks.size(), 2U);
  const auto& video = request.tracks[0];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.encoding, "H264");
  EXPECT_EQ(video.payload_type, 97);  // baresip's mode-1 H.264
  EXPECT_THAT(video.fmtp, HasSubstr("packetization-mode=1"));
  EXPECT_EQ(video.host, "10.77.0.1");
  EXPECT_EQ(video.rtp_port, 2080);
  EXPECT_EQ(video.rtcp_port, 2081);
  // baresip offers "a=rtcp-fb:* nack pli": keyframe requests, not generic NACKs (RFC 4585 §4.2).
  EXPECT_FALSE(video.nack);
  EXPECT_TRUE(video.pli);
  const auto& audio = request.tracks[1];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.encoding, "opus");
  EXPECT_EQ(audio.payload_type, 96);
  EXPECT_EQ(audio.clock_rate, 48000U);
  EXPECT_EQ(audio.channels, 2U);
  EXPECT_EQ(audio.rtp_port, 13162);

  media_.phone_publishers.front().done(control::PhonePublisherStarted{"phone-publisher-1"});
  expect_no_final_answer(phone);  // the 200 is 707: when the group is live
  media_reports_master_joined(kMaster);
  const auto ok = expect_final_answer(phone, 200);
  const std::string& sdp = ok.body;
  EXPECT_TRUE(has_sdp_line(sdp, "c=IN IP4 127.0.0.1")) << sdp;
  EXPECT_TRUE(has_sdp_line(sdp, "m=audio 8000 RTP/AVP 96")) << sdp;
  EXPECT_TRUE(has_sdp_line(sdp, "m=video 8000 RTP/AVP 97")) << sdp;
  EXPECT_TRUE(has_sdp_line(sdp, "a=recvonly")) << sdp;
  EXPECT_THAT(sdp, Not(HasSubstr("a=sendrecv")));
  EXPECT_THAT(sdp, Not(HasSubstr("iptv_rtsp")));
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number) << "708 as for any master";
}

TEST_F(PhoneBroadcastTest, OfferWithNothingToBroadcastIs488AndCreatesNothing) {
  const std::string vp8_and_g729 =
      "v=0\r\no=- 1 1 IN IP4 10.77.0.9\r\ns=-\r\nc=IN IP4 10.77.0.9\r\nt=0 0\r\n"
      "m=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
      "m=video 5002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n";
  const auto phone = phone_calls_service(vp8_and_g729);
  const auto refused = expect_final_answer(phone, 488);
  EXPECT_THAT(refused.warning, HasSubstr("nothing to broadcast"));
  EXPECT_THAT(refused.warning, HasSubstr("VP8"));
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(PhoneBroadcastTest, RecvonlyPhoneOfferHasNothingToSendAndIs488) {
  std::string offer = offer_text("baresip_1.0_audio_video.sdp");
  for (auto at = offer.find("a=sendrecv"); at != std::string::npos; at = offer.find("a=sendrecv"))
    offer.replace(at, 10, "a=recvonly");
  const auto phone = phone_calls_service(offer);
  EXPECT_THAT(expect_final_answer(phone, 488).warning, HasSubstr("offers to send no media"));
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(PhoneBroadcastTest, MediaSideRefusingThePhonesRtpIs488AndTheGroupGoes) {
  const auto phone = phone_calls_service(offer_text("baresip_1.0_audio_video.sdp"));
  media_reports_group_created();
  ASSERT_EQ(media_.phone_publishers.size(), 1U);
  media_.phone_publishers.front().done(callcast::fail(
      control::ControlError{ControlErrorCode::bad_request, "the tracks make no SDP"}));
  EXPECT_THAT(expect_final_answer(phone, 488).warning, HasSubstr("the tracks make no SDP"));
  EXPECT_TRUE(group_closed());
  // Free to try again.
  const auto again = phone_calls_service(offer_text("baresip_1.0_audio_video.sdp"));
  EXPECT_EQ(media_.creates.size(), 1U);
  expect_no_final_answer(again);
}

TEST_F(PhoneBroadcastTest, PhonesByeEndsTheBroadcastAndItsViewers) {
  const auto phone = phone_calls_service(offer_text("baresip_1.0_audio_video.sdp"));
  media_reports_group_created();
  media_.phone_publishers.front().done(control::PhonePublisherStarted{"phone-publisher-1"});
  media_reports_master_joined(kMaster);
  expect_final_answer(phone, 200);
  const auto viewer = watch(kViewer, kMaster);
  receive_bye(phone);
  EXPECT_TRUE(group_closed());
  expect_bye(viewer, "broadcast ended");
  EXPECT_FALSE(forwarding_of(kMaster)) << "708 undone";
}

// A phone behind a NAT: its Via says its private address, its SIP came from the NAT's public one
// (received=). Its SDP's private address is replaced by that public address for the media side,
// for a broadcasting phone and a watching one alike; a phone not behind a NAT keeps its SDP's.
TEST_F(PhoneBroadcastTest, APhoneBehindANatIsReachedAtTheAddressItsSipCameFrom) {
  auto natted = invite(config_.service_number, kMaster, offer_text("baresip_1.0_audio_video.sdp"));
  natted.behind_nat = true;
  receive(natted);
  media_reports_group_created();
  ASSERT_EQ(media_.phone_publishers.size(), 1U);
  for (const auto& track : media_.phone_publishers.front().request.tracks)
    EXPECT_EQ(track.host, natted.source_address) << track.media;
  media_.phone_publishers.front().done(control::PhonePublisherStarted{"phone-publisher-1"});
  media_reports_master_joined(kMaster);

  auto direct = invite(kMaster, kViewer, offer_text("baresip_1.0_audio_video.sdp"));
  const auto watcher = receive(direct);
  ASSERT_FALSE(media_.admits.empty());
  auto admit = std::move(media_.admits.front());
  media_.admits.pop_front();
  control::ViewerAdmitted admitted;
  admitted.group = kMaster;
  admitted.viewer = kViewer;
  admitted.tracks = {
      {"video", "H264", 90000, 0, 97, "packetization-mode=1;profile-level-id=42e01f"},
      {"audio", "opus", 48000, 2, 96, ""}};
  admitted.rtp_host = "127.0.0.1";
  admitted.rtp_port = 8000;
  admitted.rtcp_port = 8001;
  admit.done(admitted);
  receive_ack(watcher);
  ASSERT_EQ(media_.phone_viewers.size(), 1U);
  for (const auto& route : media_.phone_viewers.front().request.tracks)
    EXPECT_EQ(route.host, "10.77.0.1") << "not behind a NAT: its SDP's address";
}

}  // namespace
}  // namespace callcast::sip::test::call_controller_phone_broadcast_test
