// RecordingClock: the PTS of a recorded stream's buffers when the jitter buffer handed some on
// without one (step 714). Figures from a loaded run: 11 pictures without PTS after 0.5695 s, the
// next with one at 0.590 s.
#include "terminal/media/recording_clock.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace callcast::terminal {
namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kFrame = 40 * kMs;

TEST(RecordingClock, StampedBuffersPassUntouchedBFramesIncluded) {
  RecordingClock clock;
  for (const std::uint64_t pts : {0 * kMs, 120 * kMs, 40 * kMs, 80 * kMs, 240 * kMs}) {
    EXPECT_EQ(clock.stamp(pts, kFrame), pts);
  }
  EXPECT_EQ(clock.stamped(), 0u);
  EXPECT_EQ(clock.moved(), 0u);
}

TEST(RecordingClock, ARunWithoutPtsFollowsThePictureBeforeItAndTimeNeverGoesBack) {
  RecordingClock clock;
  ASSERT_EQ(clock.stamp(5695 * kMs / 10, kFrame), 5695 * kMs / 10);
  std::vector<std::uint64_t> written;
  for (int i = 0; i < 11; ++i) {
    const auto pts = clock.stamp(std::nullopt, kFrame);
    ASSERT_TRUE(pts) << "nothing is left out";
    written.push_back(*pts);
  }
  EXPECT_EQ(written.front(), 5695 * kMs / 10 + kFrame);
  EXPECT_EQ(written.back(), 5695 * kMs / 10 + 11 * kFrame);
  // The stream's own times resume behind the stamped run: placed after it until they pass it.
  for (std::uint64_t t = 590 * kMs; t <= 1100 * kMs; t += kFrame) {
    const auto pts = clock.stamp(t, kFrame);
    ASSERT_TRUE(pts);
    EXPECT_GT(*pts, written.back());
    written.push_back(*pts);
  }
  EXPECT_EQ(written.back(), 1070 * kMs) << "its own time again once past the run";
  EXPECT_EQ(clock.stamped(), 11u);
  EXPECT_GT(clock.moved(), 0u);
}

TEST(RecordingClock, NothingToStampFromBeforeTheFirstTimedBuffer) {
  RecordingClock clock;
  EXPECT_FALSE(clock.stamp(std::nullopt, kFrame));
  EXPECT_EQ(clock.stamp(std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(clock.stamp(100 * kMs, std::nullopt), 100 * kMs);
  EXPECT_EQ(clock.stamp(std::nullopt, std::nullopt), 101 * kMs) << "1 ms without a duration";
}

}  // namespace
}  // namespace callcast::terminal
