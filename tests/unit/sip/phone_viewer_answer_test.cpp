// The translation between the media side's admission of a phone viewer (the group's tracks, its
// RTP address) and sipwire's answer planner, and back to the routes start_phone_viewer takes.
#include "sip/phone_viewer_answer.hpp"

#include <gmock/gmock.h>

#include "sipwire/viewer_answer.hpp"
#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

control::ViewerAdmitted admitted(std::vector<control::TrackFormat> tracks,
                                 std::uint16_t rtcp_port = 30001) {
  control::ViewerAdmitted result;
  result.tracks = std::move(tracks);
  result.rtp_host = "192.0.2.10";
  result.rtp_port = 30000;
  result.rtcp_port = rtcp_port;
  return result;
}

TEST(GroupCodecsOf, ReadsH264ProfileAndModeAndTheAudioCodec) {
  const auto group = group_codecs_of(
      {{"video", "H264", 90000, 0, 96, "packetization-mode=1;profile-level-id=640028"},
       {"audio", "MPEG4-GENERIC", 44100, 2, 97, "config=1210"}});
  ASSERT_TRUE(group.video);
  EXPECT_EQ(group.video->profile_level_id.to_string(), "640028");
  EXPECT_EQ(group.video->packetization_mode, 1);
  EXPECT_EQ(group.video->payload_type, 96);
  ASSERT_TRUE(group.audio);
  EXPECT_EQ(group.audio->codec, AudioCodec::aac_mpeg4_generic);
  EXPECT_EQ(describe(*group.audio), "MPEG4-GENERIC/44100/2");
}

TEST(GroupCodecsOf, OpusWithoutAChannelCountIsStereoAsRfc7587WritesIt) {
  const auto group = group_codecs_of({{"audio", "OPUS", 48000, 0, 111, ""}});
  ASSERT_TRUE(group.audio);
  EXPECT_EQ(group.audio->codec, AudioCodec::opus);
  EXPECT_EQ(group.audio->channels, 2u);
  EXPECT_FALSE(group.video);
}

TEST(GroupCodecsOf, LeavesOutWhatCannotBeSentToAPhone) {
  const auto group =
      group_codecs_of({{"video", "H264", 90000, 0, 96, "packetization-mode=2"},
                       {"video", "H264", 90000, 0, 98, "packetization-mode=1"},  // not the first
                       {"audio", "speex", 16000, 1, 97, ""}});
  EXPECT_FALSE(group.video);
  EXPECT_FALSE(group.audio);
  EXPECT_FALSE(group_codecs_of({{"video", "VP8", 90000, 0, 96, ""}}).video);
  EXPECT_FALSE(group_codecs_of({{"video", "H264", 90000, 0, 96, "profile-level-id=zz"}}).video);
}

TEST(ServerMediaOf, SharesTheRtpPortAndMuxesRtcpWhenOffered) {
  auto server = server_media_of(admitted({}));
  EXPECT_EQ(server.address.address, "192.0.2.10");
  EXPECT_FALSE(server.address.ipv6);
  EXPECT_EQ(server.audio_port, 30000);
  EXPECT_EQ(server.video_port, 30000);
  EXPECT_TRUE(server.rtcp_mux_possible);
  auto v6 = admitted({});
  v6.rtp_host = "2001:db8::10";
  EXPECT_TRUE(server_media_of(v6).address.ipv6);
}

class PhonePlan : public ::testing::Test {
 protected:
  AnswerPlan plan_for(const std::string& offer_file, const control::ViewerAdmitted& media) {
    offer_ = testing::real_offer(offer_file);
    group_ = group_codecs_of(media.tracks);
    auto plan = plan_viewer_answer(offer_, group_, server_media_of(media));
    EXPECT_TRUE(plan) << (plan ? "" : plan.error().warning);
    return plan ? *plan : AnswerPlan{};
  }
  PhoneOffer offer_;
  GroupCodecs group_;
};

// RFC 5761: a phone that offers rtcp-mux gets it, and its RTCP is expected on its RTP port (behind
// a NAT, what opens that port for a phone that only receives). No a=rtcp for such a line even
// when the server's RTCP port is elsewhere: its RTCP is on the RTP port.
TEST_F(PhonePlan, RtcpMuxOfferedIsAnsweredAndRoutesUseThePhonesRtpPortForRtcp) {
  const auto media =
      admitted({{"video", "H264", 90000, 0, 96, "packetization-mode=1;profile-level-id=42e01f"},
                {"audio", "opus", 48000, 2, 97, ""}},
               30100);
  const auto plan = plan_for("baresip_1.0_rtcp_mux.sdp", media);
  const std::string sdp = phone_answer_sdp(plan, media, 7);
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-mux"));
  EXPECT_THAT(sdp, Not(HasSubstr("a=rtcp:")));
  for (const auto& route : phone_routes(plan)) {
    EXPECT_EQ(route.rtcp_port, route.rtp_port) << route.media;
  }
}

TEST_F(PhonePlan, ServerRtcpElsewhereIsWrittenAfterEachAcceptedLineOnly) {
  const auto media = admitted({{"audio", "opus", 48000, 2, 97, ""}}, 30100);
  const auto plan = plan_for("baresip_1.0_audio_video.sdp", media);
  const std::string sdp = phone_answer_sdp(plan, media, 7);
  EXPECT_THAT(sdp, HasSubstr("m=audio 30000 RTP/AVP 96\r\na=rtcp:30100\r\n"));
  EXPECT_THAT(sdp, ::testing::EndsWith("m=video 0 RTP/AVP 96 97 34 98 99 100\r\n"));
}

TEST_F(PhonePlan, AudioNeedingTranscodingIsRoutedWithItsTargetCodec) {
  const auto media =
      admitted({{"video", "H264", 90000, 0, 96, "packetization-mode=1;profile-level-id=42e01f"},
                {"audio", "MP4A-LATM", 44100, 2, 97, "config=40002420"}});
  auto plan = plan_for("linphonec_5.1_audio_only.sdp", media);
  ASSERT_TRUE(plan.audio);
  ASSERT_TRUE(plan.audio->transcode_from);
  const auto routes = phone_routes(plan);
  ASSERT_EQ(routes.size(), 1U);
  EXPECT_EQ(routes[0].media, "audio");
  EXPECT_EQ(routes[0].transcode_to, "opus");
  EXPECT_EQ(routes[0].channels, 2);
  EXPECT_EQ(routes[0].payload_type, plan.audio->payload_type);
}

TEST_F(PhonePlan, AudioInTheGroupsOwnCodecIsNotTranscoded) {
  const auto media = admitted({{"audio", "opus", 48000, 2, 97, ""}});
  const auto plan = plan_for("baresip_1.0_audio_video.sdp", media);
  const auto routes = phone_routes(plan);
  ASSERT_EQ(routes.size(), 1U);
  EXPECT_EQ(routes[0].transcode_to, "");
}

}  // namespace
}  // namespace callcast::sip
