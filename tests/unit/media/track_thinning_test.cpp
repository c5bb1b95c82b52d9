// A thinned viewer's video (issue 12 item 4, module 608): keyframes only, numbered without gaps,
// and its NACKs mapped back to the relay's numbering.
#include "media/track_thinning.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace callcast::media {
namespace {

// The relay's video: a GOP of `pictures` pictures of `packets` packets each, the first a keyframe.
class RelayVideo {
 public:
  explicit RelayVideo(std::uint16_t first_sequence) : sequence_(first_sequence) {}

  struct Sent {
    std::uint16_t relayed;
    std::optional<std::uint16_t> as;  // the number the viewer got it under; none: skipped
  };

  std::vector<Sent> picture(TrackThinning& thinning, bool keyframe, int packets) {
    timestamp_ += 3000;
    std::vector<Sent> out;
    for (int i = 0; i < packets; ++i) {
      RelayPacket packet;
      packet.sequence = sequence_++;
      packet.timestamp = timestamp_;
      out.push_back({packet.sequence, thinning.admit(packet, keyframe && i == 0)});
    }
    return out;
  }
  std::vector<Sent> gop(TrackThinning& thinning, int pictures, int packets) {
    std::vector<Sent> out = picture(thinning, true, packets);
    for (int p = 1; p < pictures; ++p) {
      const auto more = picture(thinning, false, packets);
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }

 private:
  std::uint16_t sequence_;
  std::uint32_t timestamp_ = 0;
};

std::vector<std::uint16_t> numbers_sent(const std::vector<RelayVideo::Sent>& sent) {
  std::vector<std::uint16_t> out;
  for (const auto& s : sent) {
    if (s.as) out.push_back(*s.as);
  }
  return out;
}

::testing::AssertionResult contiguous(const std::vector<std::uint16_t>& numbers) {
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    if (static_cast<std::uint16_t>(numbers[i] - numbers[i - 1]) != 1) {
      return ::testing::AssertionFailure() << numbers[i - 1] << " then " << numbers[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(TrackThinningTest, UnthinnedTrackKeepsTheRelaysNumbersAndNeedsNoCopy) {
  TrackThinning thinning;
  RelayVideo video(100);
  for (const auto& s : video.gop(thinning, 3, 2)) {
    ASSERT_TRUE(s.as);
    EXPECT_EQ(*s.as, s.relayed);
  }
  EXPECT_FALSE(thinning.thinned());
  EXPECT_FALSE(thinning.renumbering());
  EXPECT_EQ(thinning.original(103), 103);
}

TEST(TrackThinningTest, ThinnedTrackPassesWholeKeyframesOnlyWithoutGapsInItsNumbering) {
  TrackThinning thinning;
  RelayVideo video(100);
  auto sent = video.gop(thinning, 2, 3);  // 100-105, every frame
  thinning.thin();
  EXPECT_TRUE(thinning.renumbering());
  const auto rest = video.picture(thinning, false, 3);  // 106-108: skipped
  for (const auto& s : rest)
    EXPECT_FALSE(s.as);
  const auto key = video.gop(thinning, 4, 3);  // keyframe 109-111 passed, 112-120 skipped
  for (std::size_t i = 0; i < key.size(); ++i)
    EXPECT_EQ(key[i].as.has_value(), i < 3) << i;
  const auto key2 = video.picture(thinning, true, 2);  // 121-122 passed
  sent.insert(sent.end(), rest.begin(), rest.end());
  sent.insert(sent.end(), key.begin(), key.end());
  sent.insert(sent.end(), key2.begin(), key2.end());

  const auto numbers = numbers_sent(sent);
  EXPECT_EQ(numbers.size(), 6U + 3U + 2U);
  EXPECT_TRUE(contiguous(numbers));
  EXPECT_EQ(thinning.packets_skipped(), 3U + 9U);
  EXPECT_EQ(thinning.keyframes_passed(), 2U);
}

TEST(TrackThinningTest, UnthinnedTrackWaitsForAKeyframeThenSendsEveryFrameStillRenumbered) {
  TrackThinning thinning;
  RelayVideo video(100);
  auto sent = video.gop(thinning, 2, 2);
  thinning.thin();
  auto more = video.gop(thinning, 3, 2);
  sent.insert(sent.end(), more.begin(), more.end());
  thinning.unthin();
  EXPECT_EQ(thinning.mode(), TrackThinning::Mode::resuming);
  more = video.picture(thinning, false, 2);  // mid-GOP: the decoder lacks its references
  for (const auto& s : more)
    EXPECT_FALSE(s.as);
  sent.insert(sent.end(), more.begin(), more.end());
  more = video.gop(thinning, 3, 2);
  for (const auto& s : more)
    EXPECT_TRUE(s.as);
  sent.insert(sent.end(), more.begin(), more.end());
  EXPECT_EQ(thinning.mode(), TrackThinning::Mode::every_frame);
  EXPECT_TRUE(thinning.renumbering()) << "its numbering goes on shifted: no jump";
  EXPECT_TRUE(contiguous(numbers_sent(sent)));
}

TEST(TrackThinningTest, NackedNumbersMapBackToTheRelaysAcrossRuns) {
  TrackThinning thinning;
  RelayVideo video(100);
  std::vector<RelayVideo::Sent> sent = video.gop(thinning, 2, 2);
  thinning.thin();
  for (int g = 0; g < 3; ++g) {
    const auto more = video.gop(thinning, 3, 2);
    sent.insert(sent.end(), more.begin(), more.end());
  }
  for (const auto& s : sent) {
    if (s.as) {
      EXPECT_EQ(thinning.original(*s.as), s.relayed) << *s.as;
    }
  }
  const std::uint16_t last = numbers_sent(sent).back();
  EXPECT_FALSE(thinning.original(static_cast<std::uint16_t>(last + 1))) << "never sent";
  EXPECT_FALSE(thinning.original(static_cast<std::uint16_t>(last + 1000)));
}

TEST(TrackThinningTest, NumbersOlderThanTheRunsKeptAreNotGuessed) {
  TrackThinning thinning;
  RelayVideo video(100);
  thinning.thin();
  const auto first = video.gop(thinning, 2, 2);
  for (int g = 0; g < 10; ++g)
    video.gop(thinning, 2, 2);
  ASSERT_TRUE(first[0].as);
  EXPECT_FALSE(thinning.original(*first[0].as));
}

TEST(TrackThinningTest, NumberingWrapsAround) {
  TrackThinning thinning;
  RelayVideo video(65530);
  auto sent = video.gop(thinning, 2, 2);  // 65530-65533
  thinning.thin();
  auto more = video.gop(thinning, 3, 2);  // 65534, 65535 passed; 0-3 skipped
  sent.insert(sent.end(), more.begin(), more.end());
  more = video.gop(thinning, 1, 3);  // 4-6 passed, as 0, 1, 2
  sent.insert(sent.end(), more.begin(), more.end());
  const auto numbers = numbers_sent(sent);
  EXPECT_TRUE(contiguous(numbers));
  EXPECT_EQ(numbers.back(), 2);
  EXPECT_EQ(thinning.original(0), 4);
  EXPECT_EQ(thinning.original(65535), 65535);
  EXPECT_EQ(thinning.original(65531), 65531) << "before thinning: the relay's own numbers";
}

TEST(TrackThinningTest, ResetForgetsTheShift) {
  TrackThinning thinning;
  RelayVideo video(100);
  thinning.thin();
  video.gop(thinning, 3, 2);
  thinning.reset();
  EXPECT_FALSE(thinning.renumbering());
  const auto sent = video.picture(thinning, false, 1);
  ASSERT_TRUE(sent[0].as);
  EXPECT_EQ(*sent[0].as, sent[0].relayed);
}

}  // namespace
}  // namespace callcast::media
