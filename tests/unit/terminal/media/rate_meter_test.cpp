// The status line's rates from running totals.
#include "terminal/media/rate_meter.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

TEST(RateMeter, RateOfTheIncreaseSinceTheLastSample) {
  RateMeter meter(std::chrono::milliseconds(1000));
  EXPECT_DOUBLE_EQ(meter.sample(25), 25.0);
  EXPECT_DOUBLE_EQ(meter.sample(55), 30.0);
  EXPECT_DOUBLE_EQ(meter.sample(55), 0.0);
}

TEST(RateMeter, ThePeriodScalesToPerSecond) {
  RateMeter meter(std::chrono::milliseconds(500));
  EXPECT_DOUBLE_EQ(meter.sample(10), 20.0);
}

TEST(RateMeter, BytesPerSecondAsKbitPerSecond) {
  RateMeter meter(std::chrono::milliseconds(1000));
  EXPECT_DOUBLE_EQ(kbit_per_s(meter.sample(250'000)), 2000.0);
}

}  // namespace
}  // namespace callcast::terminal
