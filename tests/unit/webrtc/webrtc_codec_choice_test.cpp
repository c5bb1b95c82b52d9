#include "webrtc/webrtc_codec_choice.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "unit/webrtc/webrtc_offers.hpp"

namespace callcast::webrtc::webrtc_codec_choice_test {
namespace {

using ::testing::ElementsAre;
using testing::kGstreamerWhipOffer;
using testing::kWhepOffer;
using testing::kWhipOffer;
using testing::real_offer;

constexpr std::array<std::string_view, 4> kViewerAudio{"opus", "G722", "PCMU", "PCMA"};

const OfferedMedia& line_of(const WebRtcOffer& offer, std::string_view kind) {
  for (const auto& media : offer.media) {
    if (media.kind == kind) return media;
  }
  ADD_FAILURE() << "no " << kind << " line";
  static const OfferedMedia kNone;
  return kNone;
}

OfferedCodec h264(std::uint8_t payload_type, std::string fmtp,
                  std::optional<std::uint8_t> rtx = std::nullopt) {
  return OfferedCodec{payload_type, "H264", 90000, 1, std::move(fmtp), {"nack", "nack pli"}, rtx};
}

OfferedMedia video_line(std::vector<OfferedCodec> codecs) {
  OfferedMedia media;
  media.kind = "video";
  media.mid = "0";
  media.direction = "recvonly";
  media.codecs = std::move(codecs);
  return media;
}

class ChromiumViewer : public ::testing::Test {
 protected:
  WebRtcOffer offer_ = real_offer(kWhepOffer);
  const OfferedMedia& video() const { return line_of(offer_, "video"); }
  const OfferedMedia& audio() const { return line_of(offer_, "audio"); }
};

TEST_F(ChromiumViewer, GetsConstrainedBaselineOnItsConstrainedBaselineFormat) {
  const auto chosen = choose_h264(video(), "42e01f");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 108);
  EXPECT_EQ(chosen->rtx_payload_type, 109);
  EXPECT_EQ(chosen->encoding, "H264");
  EXPECT_EQ(chosen->clock_rate, 90000u);
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  // transport-cc is offered but not implemented by the server: not answered.
  EXPECT_THAT(chosen->feedback, ElementsAre("goog-remb", "ccm fir", "nack", "nack pli"));
}

TEST_F(ChromiumViewer, GetsOurTerminalsConstrainedBaselineOnTheSameFormat) {
  // 42c01f: constraint_set0 and set1, what `callcast broadcast` publishes.
  const auto chosen = choose_h264(video(), "42c01f");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 108);
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
}

TEST_F(ChromiumViewer, GetsMainOnItsMainFormat) {
  const auto chosen = choose_h264(video(), "4d001f");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 116);
  EXPECT_EQ(chosen->rtx_payload_type, 117);
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f");
}

TEST_F(ChromiumViewer, GetsAStreamAboveItsOfferedLevel) {
  // Main 4.0 against the offered Main 3.1: level-asymmetry-allowed, browsers decode it.
  const auto chosen = choose_h264(video(), "4d0028");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 116);
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f");
}

TEST_F(ChromiumViewer, GetsPlainBaselineOnItsBaselineFormat) {
  const auto chosen = choose_h264(video(), "42001f");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 102);
  EXPECT_EQ(chosen->rtx_payload_type, 103);
}

TEST_F(ChromiumViewer, CannotTakeHigh) {
  // Chromium 156 lists 42001f, 42e01f, 4d001f and f4001f (High 4:4:4 Predictive), no High.
  EXPECT_FALSE(choose_h264(video(), "640028"));
  EXPECT_FALSE(choose_h264(video(), "640c28"));  // Constrained High
}

TEST_F(ChromiumViewer, NoChoiceForAMalformedStreamProfileOrTheWrongLine) {
  EXPECT_FALSE(choose_h264(video(), "42e0"));
  EXPECT_FALSE(choose_h264(video(), "zzzzzz"));
  EXPECT_FALSE(choose_h264(audio(), "42e01f"));
  EXPECT_FALSE(choose_audio(video(), kViewerAudio));
}

TEST_F(ChromiumViewer, GetsOpusFirst) {
  const auto chosen = choose_audio(audio(), kViewerAudio);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 111);
  EXPECT_EQ(chosen->encoding, "opus");
  EXPECT_EQ(chosen->clock_rate, 48000u);
  EXPECT_EQ(chosen->channels, 2u);
  EXPECT_EQ(chosen->fmtp, "minptime=10;useinbandfec=1");
  EXPECT_FALSE(chosen->rtx_payload_type);
  EXPECT_TRUE(chosen->feedback.empty());  // only transport-cc was offered
}

TEST_F(ChromiumViewer, GetsTheFirstPreferredAudioItOffers) {
  constexpr std::array<std::string_view, 2> kPcma{"AAC", "pcma"};
  const auto chosen = choose_audio(audio(), kPcma);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 8);
  EXPECT_EQ(chosen->encoding, "PCMA");
  EXPECT_EQ(chosen->clock_rate, 8000u);
  EXPECT_EQ(chosen->channels, 1u);
  constexpr std::array<std::string_view, 1> kAac{"MPEG4-GENERIC"};
  EXPECT_FALSE(choose_audio(audio(), kAac));
}

TEST(ChooseH264, RequiresPacketizationModeOne) {
  const auto media = video_line({h264(96, "packetization-mode=0;profile-level-id=42e01f"),
                                 h264(97, "profile-level-id=42e01f")});
  EXPECT_FALSE(choose_h264(media, "42e01f"));
  EXPECT_FALSE(choose_h264_for_ingest(media));
}

TEST(ChooseH264, PrefersAFormatWithRtx) {
  const auto media = video_line({h264(96, "packetization-mode=1;profile-level-id=42e01f"),
                                 h264(98, "packetization-mode=1;profile-level-id=42e01f", 99)});
  EXPECT_EQ(choose_h264(media, "42e01f")->payload_type, 98);
  EXPECT_EQ(choose_h264_for_ingest(media)->payload_type, 98);
}

TEST(ChooseH264, PrefersTheStreamsOwnProfileToOneThatAlsoDecodesIt) {
  const auto media = video_line({h264(96, "packetization-mode=1;profile-level-id=4d001f", 97),
                                 h264(98, "packetization-mode=1;profile-level-id=42e01f")});
  EXPECT_EQ(choose_h264(media, "42e01f")->payload_type, 98);
}

TEST(ChooseH264, SendsConstrainedBaselineToABaselineOrMainOnlyBrowser) {
  const auto main_only = video_line({h264(96, "packetization-mode=1;profile-level-id=4d001f")});
  const auto chosen = choose_h264(main_only, "42e01f");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->fmtp, "packetization-mode=1;profile-level-id=4d001f");
  EXPECT_THAT(chosen->feedback, ElementsAre("nack", "nack pli"));
  // Plain Baseline (no constraint_set1) does not obey Main.
  EXPECT_FALSE(choose_h264(main_only, "42001f"));

  const auto baseline_only = video_line({h264(96, "packetization-mode=1;profile-level-id=42001f")});
  EXPECT_TRUE(choose_h264(baseline_only, "42e01f"));
  EXPECT_FALSE(choose_h264(baseline_only, "4d001f"));
}

TEST(ChooseH264, TakesHighOnlyWhereHighIsOffered) {
  const auto high = video_line({h264(96, "packetization-mode=1;profile-level-id=64001f")});
  EXPECT_EQ(choose_h264(high, "640028")->payload_type, 96);
  const auto high444 = video_line({h264(96, "packetization-mode=1;profile-level-id=f4001f")});
  EXPECT_FALSE(choose_h264(high444, "640028"));
}

TEST(ChooseH264, NothingOnARejectedLine) {
  auto media = video_line({h264(96, "packetization-mode=1;profile-level-id=42e01f")});
  media.rejected = true;
  EXPECT_FALSE(choose_h264(media, "42e01f"));
  EXPECT_FALSE(choose_h264_for_ingest(media));
}

TEST(ChooseH264ForIngest, TakesChromiumsConstrainedBaseline) {
  const auto offer = real_offer(kWhipOffer);
  const auto chosen = choose_h264_for_ingest(line_of(offer, "video"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 108);
  EXPECT_EQ(chosen->rtx_payload_type, 109);
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_THAT(chosen->feedback, ElementsAre("goog-remb", "ccm fir", "nack", "nack pli"));

  constexpr std::array<std::string_view, 1> kOpus{"opus"};
  const auto audio = choose_audio(line_of(offer, "audio"), kOpus);
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->payload_type, 111);
}

TEST(ChooseH264ForIngest, TakesGstreamersOnlyFormat) {
  const auto offer = real_offer(kGstreamerWhipOffer);
  const auto chosen = choose_h264_for_ingest(line_of(offer, "video"));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->payload_type, 96);
  EXPECT_FALSE(chosen->rtx_payload_type);
  // The offer's sprop-parameter-sets are the sender's: not written back.
  EXPECT_EQ(chosen->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01e");
  EXPECT_THAT(chosen->feedback, ElementsAre("nack pli", "ccm fir"));
  constexpr std::array<std::string_view, 1> kOpus{"opus"};
  const auto audio = choose_audio(line_of(offer, "audio"), kOpus);
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->payload_type, 97);
  EXPECT_EQ(audio->encoding, "OPUS");
}

TEST(ChooseH264ForIngest, PrefersWhatPhonesDecode) {
  const auto media = video_line({h264(96, "packetization-mode=1;profile-level-id=640c1f", 97),
                                 h264(98, "packetization-mode=1;profile-level-id=4d001f"),
                                 h264(100, "packetization-mode=1;profile-level-id=42001f")});
  EXPECT_EQ(choose_h264_for_ingest(media)->payload_type, 100);
  const auto no_baseline = video_line({h264(96, "packetization-mode=1;profile-level-id=640c1f", 97),
                                       h264(98, "packetization-mode=1;profile-level-id=4d001f")});
  EXPECT_EQ(choose_h264_for_ingest(no_baseline)->payload_type, 98);
  // Any profile relays when nothing else is offered.
  const auto high_only = video_line({h264(96, "packetization-mode=1;profile-level-id=640028")});
  EXPECT_EQ(choose_h264_for_ingest(high_only)->payload_type, 96);
}

}  // namespace
}  // namespace callcast::webrtc::webrtc_codec_choice_test
