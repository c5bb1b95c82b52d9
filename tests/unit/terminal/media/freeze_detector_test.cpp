// The viewer's freeze detection on given frame times: the longest gap and each pause over
// kFreezeThreshold, in wall-clock ms.
#include "terminal/media/freeze_detector.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

constexpr std::int64_t kMs = 1'000'000;                     // ns
constexpr std::int64_t kStart = 1'750'000'000'000LL * kMs;  // some unix time, ns

TEST(FreezeDetector, SteadyFramesAreNoFreeze) {
  FreezeDetector detector;
  for (int i = 0; i < 100; ++i)
    detector.frame(kStart + i * 40 * kMs);
  EXPECT_EQ(detector.max_gap(), std::chrono::milliseconds(40));
  EXPECT_TRUE(detector.freezes().empty());
}

TEST(FreezeDetector, APauseOverTheThresholdIsAFreezeFromTheLastFrame) {
  FreezeDetector detector;
  detector.frame(kStart);
  detector.frame(kStart + 40 * kMs);
  detector.frame(kStart + 40 * kMs + 1'200 * kMs);
  detector.frame(kStart + 40 * kMs + 1'240 * kMs);
  EXPECT_EQ(detector.max_gap(), std::chrono::milliseconds(1'200));
  const auto freezes = detector.freezes();
  ASSERT_EQ(freezes.size(), 1u);
  EXPECT_EQ(freezes[0].began_unix_ms, kStart / kMs + 40);
  EXPECT_EQ(freezes[0].ms, 1'200);
}

TEST(FreezeDetector, TheThresholdItselfCountsAndJustBelowDoesNot) {
  FreezeDetector detector;
  const std::int64_t threshold = kFreezeThreshold.count() * kMs;
  detector.frame(kStart);
  detector.frame(kStart + threshold - 1);
  EXPECT_TRUE(detector.freezes().empty());
  detector.frame(kStart + 2 * threshold - 1);
  EXPECT_EQ(detector.freezes().size(), 1u);
}

TEST(FreezeDetector, KeepsTheFirstThousand) {
  FreezeDetector detector;
  std::int64_t t = kStart;
  for (std::size_t i = 0; i < FreezeDetector::kMaxFreezes + 10; ++i) {
    detector.frame(t);
    t += 300 * kMs;
  }
  detector.frame(t);
  const auto freezes = detector.freezes();
  ASSERT_EQ(freezes.size(), FreezeDetector::kMaxFreezes);
  EXPECT_EQ(freezes.front().began_unix_ms, kStart / kMs);
}

TEST(FreezeDetector, NothingBeforeTheFirstFrame) {
  FreezeDetector detector;
  EXPECT_EQ(detector.max_gap(), std::chrono::milliseconds(0));
  detector.frame(kStart);
  EXPECT_EQ(detector.max_gap(), std::chrono::milliseconds(0));
  EXPECT_TRUE(detector.freezes().empty());
}

}  // namespace
}  // namespace callcast::terminal
