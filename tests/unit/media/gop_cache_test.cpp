#include "media/gop_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace callcast::media {
namespace {

constexpr std::uint8_t kVideo = 0;
constexpr std::uint8_t kAudio = 1;

SharedPacket packet_of(std::uint8_t track, std::uint16_t sequence, std::size_t size) {
  auto packet = std::make_shared<RelayPacket>();
  packet->bytes.assign(size, 0xab);
  packet->track = track;
  packet->sequence = sequence;
  return packet;
}

class GopCacheTest : public ::testing::Test {
 protected:
  // What the relay reports for each packet it pushes: the first packet of an access unit, and
  // whether that access unit is (so far) known to start a GOP.
  void push_video(std::uint16_t sequence, bool new_access_unit, bool keyframe_au,
                  std::size_t size = 100) {
    cache_.push(packet_of(kVideo, sequence, size), true, new_access_unit, keyframe_au);
  }
  void push_keyframe_start(std::uint16_t sequence) { push_video(sequence, true, true); }
  void push_keyframe_rest(std::uint16_t sequence) { push_video(sequence, false, true); }
  void push_delta_start(std::uint16_t sequence) { push_video(sequence, true, false); }
  void push_delta_rest(std::uint16_t sequence) { push_video(sequence, false, false); }
  void push_audio(std::uint16_t sequence, std::size_t size = 100) {
    cache_.push(packet_of(kAudio, sequence, size), false, false, false);
  }

  // (track, sequence) of every cached packet, in order.
  std::vector<std::pair<int, int>> cached() const {
    std::vector<std::pair<int, int>> out;
    for (const auto& packet : cache_.packets())
      out.emplace_back(packet->track, packet->sequence);
    return out;
  }

  GopCache cache_{100, 1'000'000};
};

using Cached = std::vector<std::pair<int, int>>;

TEST_F(GopCacheTest, InvalidAndEmptyBeforeTheFirstKeyframe) {
  push_delta_start(1);
  push_delta_rest(2);
  push_audio(500);
  push_delta_start(3);
  EXPECT_FALSE(cache_.valid());
  EXPECT_TRUE(cache_.packets().empty());
  EXPECT_EQ(cache_.bytes(), 0U);
}

TEST_F(GopCacheTest, StartsAtFirstPacketOfKeyframeAccessUnitAndKeepsAudioAfterIt) {
  push_delta_start(1);
  push_audio(500);
  push_keyframe_start(10);
  push_keyframe_rest(11);
  push_audio(501, 40);
  push_keyframe_rest(12);
  push_audio(502, 40);
  push_delta_start(13);
  push_delta_rest(14);
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 10}, {0, 11}, {1, 501}, {0, 12}, {1, 502}, {0, 13}, {0, 14}}));
  EXPECT_EQ(cache_.bytes(), 5 * 100U + 2 * 40U);
}

TEST_F(GopCacheTest, NextKeyframeDropsEverythingBeforeIt) {
  push_keyframe_start(10);
  push_delta_start(11);
  push_audio(500);
  push_delta_start(12);
  push_audio(501);
  push_keyframe_start(20);
  push_keyframe_rest(21);
  push_audio(502, 30);
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 20}, {0, 21}, {1, 502}}));
  EXPECT_EQ(cache_.bytes(), 2 * 100U + 30U);
}

// An access unit is known to be a keyframe only at its SPS or IDR; whatever came first in it
// (access unit delimiter, SEI) and audio since then belong to the GOP.
TEST_F(GopCacheTest, KeyframeRecognisedMidAccessUnitStartsAtTheAccessUnitsFirstPacket) {
  push_keyframe_start(1);
  push_delta_start(2);
  push_audio(500);
  push_delta_start(3);  // AUD of the next picture
  push_audio(501);
  push_keyframe_rest(4);  // its SPS/PPS
  push_keyframe_rest(5);  // its IDR
  EXPECT_EQ(cached(), (Cached{{0, 3}, {1, 501}, {0, 4}, {0, 5}}));
  EXPECT_EQ(cache_.bytes(), 4 * 100U);
}

// The same for the very first keyframe, while the cache has nothing yet.
TEST_F(GopCacheTest, FirstKeyframeRecognisedMidAccessUnitStartsAtTheAccessUnitsFirstPacket) {
  push_delta_start(1);
  push_delta_start(2);  // AUD
  push_audio(500);
  push_keyframe_rest(3);  // SPS/PPS
  push_keyframe_rest(4);  // IDR
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 2}, {1, 500}, {0, 3}, {0, 4}}));
}

TEST_F(GopCacheTest, ExactlyAtTheLimitsIsKept) {
  GopCache cache(3, 300);
  cache.push(packet_of(kVideo, 1, 100), true, true, true);
  cache.push(packet_of(kAudio, 2, 100), false, false, false);
  cache.push(packet_of(kVideo, 3, 100), true, true, false);
  EXPECT_TRUE(cache.valid());
  EXPECT_EQ(cache.packets().size(), 3U);
  EXPECT_EQ(cache.overflows(), 0U);
}

TEST_F(GopCacheTest, OverflowOfPacketLimitInvalidatesUntilTheNextKeyframe) {
  cache_ = GopCache(4, 1'000'000);
  push_keyframe_start(1);
  push_delta_start(2);
  push_audio(500);
  push_delta_start(3);
  EXPECT_TRUE(cache_.valid());
  push_delta_start(4);  // the fifth packet
  EXPECT_FALSE(cache_.valid());
  EXPECT_TRUE(cache_.packets().empty());
  EXPECT_EQ(cache_.bytes(), 0U);
  EXPECT_EQ(cache_.overflows(), 1U);

  push_delta_rest(5);
  push_audio(501);
  push_delta_start(6);
  EXPECT_FALSE(cache_.valid());
  EXPECT_TRUE(cache_.packets().empty());

  push_keyframe_start(7);
  push_audio(502);
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 7}, {1, 502}}));
  EXPECT_EQ(cache_.overflows(), 1U);
}

TEST_F(GopCacheTest, OverflowOfByteLimitInvalidatesUntilTheNextKeyframe) {
  cache_ = GopCache(100, 250);
  push_keyframe_start(1);
  push_delta_start(2);
  EXPECT_TRUE(cache_.valid());
  push_audio(500, 51);  // 251 bytes
  EXPECT_FALSE(cache_.valid());
  EXPECT_EQ(cache_.bytes(), 0U);
  EXPECT_EQ(cache_.overflows(), 1U);
  push_delta_start(3);
  EXPECT_FALSE(cache_.valid());
  push_keyframe_start(4);
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 4}}));
}

// A keyframe larger than the limits: the rest of that access unit must not revive the cache,
// which would then start in the middle of the IDR, where no decoder can start.
TEST_F(GopCacheTest, OverflowInsideKeyframeAccessUnitStaysInvalidUntilTheNextKeyframe) {
  cache_ = GopCache(3, 1'000'000);
  push_keyframe_start(1);  // SPS/PPS
  push_keyframe_rest(2);   // IDR fragments...
  push_keyframe_rest(3);
  push_keyframe_rest(4);  // overflow
  EXPECT_EQ(cache_.overflows(), 1U);
  EXPECT_FALSE(cache_.valid());
  push_keyframe_rest(5);
  push_audio(500);
  EXPECT_FALSE(cache_.valid());
  EXPECT_TRUE(cache_.packets().empty());
  push_delta_start(6);
  EXPECT_FALSE(cache_.valid());

  push_keyframe_start(7);
  EXPECT_TRUE(cache_.valid());
  EXPECT_EQ(cached(), (Cached{{0, 7}}));
}

TEST_F(GopCacheTest, ClearInvalidatesUntilTheNextKeyframe) {
  push_keyframe_start(1);
  push_delta_start(2);
  cache_.clear();
  EXPECT_FALSE(cache_.valid());
  EXPECT_TRUE(cache_.packets().empty());
  EXPECT_EQ(cache_.bytes(), 0U);
  EXPECT_EQ(cache_.overflows(), 0U);
  push_delta_start(3);
  push_audio(500);
  EXPECT_TRUE(cache_.packets().empty());
  push_keyframe_start(4);
  EXPECT_EQ(cached(), (Cached{{0, 4}}));
}

TEST_F(GopCacheTest, CachedPacketsAreTheRelaysSharedBuffers) {
  const auto keyframe = packet_of(kVideo, 1, 10);
  cache_.push(keyframe, true, true, true);
  ASSERT_EQ(cache_.packets().size(), 1U);
  EXPECT_EQ(cache_.packets().front().get(), keyframe.get());
}

}  // namespace
}  // namespace callcast::media
