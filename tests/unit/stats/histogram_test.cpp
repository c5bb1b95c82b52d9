#include "stats/histogram.hpp"

#include <gtest/gtest.h>

#include <array>

namespace callcast::stats::histogram_test {
namespace {

constexpr std::array<double, 3> kBounds{0.1, 1, 10};
constexpr Metric kLatency{
    "test_latency_seconds", Kind::histogram, "Latency.", "seconds", {}, kBounds};

TEST(Histogram, StartsEmptyWithOneBucketPerBoundAndOverflow) {
  const Histogram h(kLatency);
  EXPECT_EQ(h.bounds().size(), 3u);
  ASSERT_EQ(h.counts().size(), 4u);
  for (const auto c : h.counts())
    EXPECT_EQ(c, 0u);
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0.0);
}

TEST(Histogram, BoundsAreUpperInclusive) {
  Histogram h(kLatency);
  h.observe(0.1);  // le="0.1"
  h.observe(1);    // le="1"
  h.observe(1.5);  // le="10"
  h.observe(10);   // le="10"
  EXPECT_EQ(h.counts()[0], 1u);
  EXPECT_EQ(h.counts()[1], 1u);
  EXPECT_EQ(h.counts()[2], 2u);
  EXPECT_EQ(h.counts()[3], 0u);
}

TEST(Histogram, ValuesAboveEveryBoundGoToTheOverflowBucket) {
  Histogram h(kLatency);
  h.observe(11);
  h.observe(1e9);
  EXPECT_EQ(h.counts()[3], 2u);
  EXPECT_EQ(h.count(), 2u);
}

TEST(Histogram, SumsAndCountsEveryObservation) {
  Histogram h(kLatency);
  h.observe(0.05);
  h.observe(0.25);
  h.observe(2);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_DOUBLE_EQ(h.sum(), 2.3);
}

}  // namespace
}  // namespace callcast::stats::histogram_test
