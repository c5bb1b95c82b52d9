#include "sipwire/broadcaster_answer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;
using testing::offer_from;
using testing::real_offer;

const ServerMedia kServer{{false, "10.77.0.2"}, 30000, 30000, true};
const std::string kHead = "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n";

BroadcasterPlan planned(const PhoneOffer& offer) {
  auto plan = plan_broadcaster_answer(offer, kServer);
  EXPECT_TRUE(plan) << plan.error().warning;
  return plan ? *plan : BroadcasterPlan{};
}

Refusal refused(const PhoneOffer& offer) {
  auto plan = plan_broadcaster_answer(offer, kServer);
  EXPECT_FALSE(plan);
  return plan ? Refusal{} : plan.error();
}

TEST(BroadcasterAnswer, BaresipSendsH264Mode1AndOpusToTheGroup) {
  const auto plan = planned(real_offer("baresip_1.0_audio_video.sdp"));
  const auto& answer = plan.answer;
  ASSERT_EQ(answer.lines.size(), 2u);

  ASSERT_TRUE(answer.lines[0].format);
  EXPECT_EQ(answer.lines[0].format->payload_type, 96);  // opus before baresip's first, PCMU
  EXPECT_EQ(answer.lines[0].format->fmtp, "stereo=1;sprop-stereo=1");
  EXPECT_EQ(answer.lines[0].direction, MediaDirection::recvonly);
  EXPECT_FALSE(answer.lines[0].ptime);
  EXPECT_EQ(answer.lines[0].port, 30000);

  ASSERT_TRUE(answer.lines[1].format);
  EXPECT_EQ(answer.lines[1].format->payload_type, 97);
  EXPECT_EQ(answer.lines[1].format->fmtp, "packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(answer.lines[1].format->feedback, (std::vector<RtcpFeedback>{{"nack", "pli"}}));
  EXPECT_EQ(answer.lines[1].direction, MediaDirection::recvonly);
  EXPECT_EQ(answer.lines[1].port, 30000);  // audio and video share the server's port here
  ASSERT_TRUE(answer.video);
  EXPECT_EQ(answer.video->feedback, (FeedbackUse{false, true, false}));

  ASSERT_TRUE(plan.group.video);
  EXPECT_EQ(plan.group.video->payload_type, 97);
  EXPECT_EQ(plan.group.video->packetization_mode, 1);
  EXPECT_EQ(plan.group.video->profile_level_id.to_string(), "42e01f");
  ASSERT_TRUE(plan.group.audio);
  EXPECT_EQ(plan.group.audio->codec, AudioCodec::opus);
  EXPECT_EQ(plan.group.audio->payload_type, 96);
  EXPECT_EQ(plan.group.audio->clock_rate, 48000u);
  EXPECT_EQ(plan.group.audio->channels, 2u);
}

TEST(BroadcasterAnswer, LinphonesMode0H264IsTakenAsItIs) {
  const auto plan = planned(real_offer("linphonec_5.1_audio_video.sdp"));
  ASSERT_TRUE(plan.group.video);
  EXPECT_EQ(plan.group.video->payload_type, 97);
  EXPECT_EQ(plan.group.video->packetization_mode, 0);
  EXPECT_EQ(plan.group.video->fmtp, "profile-level-id=42801F");
  EXPECT_EQ(plan.answer.lines[1].format->fmtp, "packetization-mode=0;profile-level-id=42801f");
  EXPECT_EQ(plan.answer.lines[1].format->feedback,
            (std::vector<RtcpFeedback>{{"nack", "pli"}, {"ccm", "fir"}}));
  EXPECT_EQ(plan.answer.video->feedback, (FeedbackUse{false, true, true}));
  ASSERT_TRUE(plan.group.audio);
  EXPECT_EQ(plan.group.audio->codec, AudioCodec::opus);
}

TEST(BroadcasterAnswer, PrefersPcmuThenPcmaThenG722WithPtime20) {
  const auto pcma = planned(offer_from(kHead + "m=audio 4000 RTP/AVP 9 8\r\n"));
  EXPECT_EQ(pcma.group.audio->codec, AudioCodec::pcma);
  EXPECT_EQ(pcma.group.audio->payload_type, 8);
  EXPECT_EQ(pcma.answer.lines[0].ptime, 20u);
  EXPECT_FALSE(pcma.group.video);
  const auto g722 = planned(offer_from(kHead + "m=audio 4000 RTP/AVP 18 9\r\n"));
  EXPECT_EQ(g722.group.audio->codec, AudioCodec::g722);
}

TEST(BroadcasterAnswer, AVideoOnlyPhoneBroadcastsVideoOnly) {
  const auto plan =
      planned(offer_from(kHead + "m=video 4002 RTP/AVPF 96\r\na=rtpmap:96 H264/90000\r\n"
                                 "a=fmtp:96 packetization-mode=1;profile-level-id=4d0028\r\n"
                                 "a=sendonly\r\na=rtcp-mux\r\n"));
  EXPECT_FALSE(plan.group.audio);
  ASSERT_TRUE(plan.group.video);
  EXPECT_EQ(plan.group.video->profile_level_id.to_string(), "4d0028");
  EXPECT_EQ(plan.answer.lines[0].proto, "RTP/AVPF");
  EXPECT_TRUE(plan.answer.lines[0].rtcp_mux);
  EXPECT_EQ(plan.answer.lines[0].direction, MediaDirection::recvonly);
}

TEST(BroadcasterAnswer, RefusesAPhoneWithNothingWeRelay) {
  const auto refusal =
      refused(offer_from(kHead + "m=audio 4000 RTP/AVP 97\r\na=rtpmap:97 speex/16000\r\n"
                                 "m=video 4002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"));
  EXPECT_EQ(refusal.status, 488);
  EXPECT_EQ(refusal.warning,
            "nothing to broadcast: callcast takes H264 video and opus, PCMU, PCMA or G722 audio; "
            "offer has speex/16000, VP8");
}

TEST(BroadcasterAnswer, RefusesAPhoneThatWouldSendNothing) {
  const auto refusal = refused(offer_from(kHead + "m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n"));
  EXPECT_THAT(refusal.warning, HasSubstr("offers to send no media"));
}

TEST(BroadcasterAnswer, RefusesSecureRtpOnly) {
  EXPECT_THAT(refused(real_offer("baresip_1.0_srtp_mandatory.sdp")).warning,
              HasSubstr("plain RTP only"));
}

}  // namespace
}  // namespace callcast::sip
