#include "sipwire/answer_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sdp/session_description.hpp"
#include "sipwire/broadcaster_answer.hpp"
#include "sipwire/viewer_answer.hpp"
#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;
using testing::offer_text;
using testing::real_offer;

const ServerMedia kServer{{false, "10.77.0.2"}, 30000, 30002, true};
const GroupCodecs kGroup{GroupVideo{*H264ProfileLevelId::parse("42e01f"), 1, 96, ""},
                         GroupAudio{AudioCodec::opus, 48000, 2, 97, ""}};

TEST(AnswerPlan, SerializesBaresipsViewerAnswer) {
  const auto plan = plan_viewer_answer(real_offer("baresip_1.0_audio_video.sdp"), kGroup, kServer);
  ASSERT_TRUE(plan);
  EXPECT_EQ(serialize_answer(*plan, 7, 8, "10.77.0.2"),
            "v=0\r\n"
            "o=callcast 7 8 IN IP4 10.77.0.2\r\n"
            "s=callcast\r\n"
            "c=IN IP4 10.77.0.2\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 96\r\n"
            "a=rtpmap:96 opus/48000/2\r\n"
            "a=sendonly\r\n"
            "m=video 30002 RTP/AVP 97\r\n"
            "a=rtpmap:97 H264/90000\r\n"
            "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
            "a=rtcp-fb:97 nack pli\r\n"
            "a=sendonly\r\n");
}

TEST(AnswerPlan, SerializesRejectedLinesPtimeAndRtcpMux) {
  const auto plan =
      plan_viewer_answer(real_offer("linphonec_5.1_avpf_rtcp_mux.sdp"),
                         GroupCodecs{kGroup.video, GroupAudio{AudioCodec::pcmu, 8000, 1, 0, ""}},
                         ServerMedia{{true, "2001:db8::2"}, 30000, 30002, true});
  ASSERT_TRUE(plan);
  const auto text = serialize_answer(*plan, 1, 2, "2001:db8::2");
  EXPECT_THAT(text, HasSubstr("o=callcast 1 2 IN IP6 2001:db8::2\r\n"));
  EXPECT_THAT(text, HasSubstr("c=IN IP6 2001:db8::2\r\n"));
  EXPECT_THAT(text, HasSubstr("m=audio 30000 RTP/AVPF 0\r\n"
                              "a=rtpmap:0 PCMU/8000\r\n"
                              "a=ptime:20\r\n"
                              "a=sendonly\r\n"
                              "a=rtcp-mux\r\n"));
  EXPECT_THAT(text, HasSubstr("m=video 0 RTP/AVPF 96 97\r\n"));
  EXPECT_FALSE(text.ends_with("a=rtcp-mux\r\n"));  // nothing follows a rejected line
}

TEST(AnswerPlan, SerializesABroadcastersRecvonlyAnswer) {
  const auto plan = plan_broadcaster_answer(real_offer("linphonec_5.1_audio_video.sdp"), kServer);
  ASSERT_TRUE(plan);
  const auto text = serialize_answer(plan->answer, 1, 1, "10.77.0.2");
  EXPECT_THAT(text, HasSubstr("m=audio 30000 RTP/AVP 96\r\n"
                              "a=rtpmap:96 opus/48000/2\r\n"
                              "a=fmtp:96 useinbandfec=1\r\n"
                              "a=recvonly\r\n"));
  EXPECT_THAT(text, HasSubstr("m=video 30002 RTP/AVP 97\r\n"
                              "a=rtpmap:97 H264/90000\r\n"
                              "a=fmtp:97 packetization-mode=0;profile-level-id=42801f\r\n"
                              "a=rtcp-fb:97 nack pli\r\n"
                              "a=rtcp-fb:97 ccm fir\r\n"
                              "a=recvonly\r\n"));
}

// Every real offer's answer is SDP again, line for line with the offer (RFC 3264 §6).
TEST(AnswerPlan, EveryRealOffersAnswersParseWithOneLinePerOfferedLine) {
  for (const auto* name : {"baresip_1.0_audio_video.sdp", "baresip_1.0_rtcp_mux.sdp",
                           "baresip_1.0_audio_only.sdp", "linphonec_5.1_audio_video.sdp",
                           "linphonec_5.1_audio_only.sdp", "linphonec_5.1_avpf_rtcp_mux.sdp"}) {
    const auto offer = real_offer(name);
    const auto viewer = plan_viewer_answer(offer, kGroup, kServer);
    const auto broadcaster = plan_broadcaster_answer(offer, kServer);
    ASSERT_TRUE(viewer) << name;
    ASSERT_TRUE(broadcaster) << name;
    for (const auto* plan : {&*viewer, &broadcaster->answer}) {
      const auto answer = parse_phone_offer(serialize_answer(*plan, 1, 1, "10.77.0.2"));
      ASSERT_TRUE(answer) << name << ": " << answer.error();
      ASSERT_EQ(answer->media.size(), offer.media.size()) << name;
      for (std::size_t i = 0; i < offer.media.size(); ++i) {
        EXPECT_EQ(answer->media[i].media, offer.media[i].media) << name;
        EXPECT_EQ(answer->media[i].proto, offer.media[i].proto) << name;
        EXPECT_LE(answer->media[i].formats.size(), offer.media[i].formats.size()) << name;
      }
    }
  }
}

}  // namespace
}  // namespace callcast::sip
