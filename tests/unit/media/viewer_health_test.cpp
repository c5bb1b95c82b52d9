// Issue 12 item 4: a viewer's path judged from its receiver reports and NACKs, with hysteresis.
#include "media/viewer_health.hpp"

#include <gtest/gtest.h>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

class ViewerHealthTest : public ::testing::Test {
 protected:
  // One report per second, 50 packets apart, at `loss` and `rtt`.
  void report(double loss, std::optional<Clock::duration> rtt = 50ms) {
    highest_ += 50;
    now_ += 1s;
    health.on_report({loss, highest_, 2.0, rtt}, now_);
  }

  ViewerHealth health;
  std::uint32_t highest_ = 1000;
  Clock::time_point now_ = Clock::time_point{} + 100s;
};

TEST_F(ViewerHealthTest, UnknownUntilTheFirstReport) {
  EXPECT_EQ(health.verdict(), PathVerdict::unknown);
  report(0);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  EXPECT_EQ(health.reports(), 1u);
}

TEST_F(ViewerHealthTest, LossAtTheThresholdIsCongestionAndBetweenItHolds) {
  report(0);
  report(0.10);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  const auto since = health.verdict_since();
  report(0.05);  // between clear (2 %) and congested (10 %): stays congested
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  EXPECT_EQ(health.verdict_since(), since);
  report(0.02);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  report(0.05);  // ...and from clear it stays clear
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, FirstReportBetweenTheThresholdsHolds) {
  report(0.05);
  EXPECT_EQ(health.verdict(), PathVerdict::holding);
}

// Sequence numbers `first`, `first` + 1, ... named in NACKs.
void nack(ViewerHealth& health, std::uint16_t first, int count) {
  for (int i = 0; i < count; ++i)
    health.on_nack(static_cast<std::uint16_t>(first + i));
}

TEST_F(ViewerHealthTest, NackedPacketsCountAsLossEvenWhenRepairHidThemFromTheReport) {
  report(0);
  nack(health, 200, 3);
  nack(health, 300, 3);  // 6 of the 50 packets since the last report: 12 %
  report(0);
  EXPECT_NEAR(health.loss(), 0.12, 1e-9);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  report(0);  // the count starts again at each report
  EXPECT_EQ(health.loss(), 0);
}

TEST_F(ViewerHealthTest, NacksBeforeAnIntervalIsKnownAreNotJudged) {
  nack(health, 200, 40);
  report(0);  // no earlier report: no interval to divide by
  EXPECT_EQ(health.loss(), 0);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, AQueueOnThePathIsCongestionBeforeAnyLoss) {
  report(0, 40ms);
  report(0, 60ms);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  ASSERT_TRUE(health.queue_delay());
  EXPECT_EQ(*health.queue_delay(), 20ms);
  report(0, 250ms);  // 210 ms above the floor
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  report(0, 120ms);  // 80 ms: between the delay thresholds, holds
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  report(0, 80ms);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, ReportsWithoutRoundTripJudgeByLossAlone) {
  report(0, std::nullopt);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  EXPECT_FALSE(health.round_trip());
}

TEST_F(ViewerHealthTest, ASequenceThatGoesBackDoesNotMakeLoss) {
  report(0);
  highest_ = 10;  // a new publisher's numbering as the player extended it
  nack(health, 200, 5);
  report(0);
  EXPECT_EQ(health.loss(), 0);
}

TEST_F(ViewerHealthTest, APacketAskedForAgainCountsOnce) {
  report(0);
  for (int attempt = 0; attempt < 4; ++attempt)  // its retransmissions were lost or refused
    nack(health, 65534, 3);                      // 65534, 65535, 0: across the wrap
  report(0);
  EXPECT_NEAR(health.loss(), 0.06, 1e-9) << "3 of 50, not 12";
  EXPECT_EQ(health.verdict(), PathVerdict::clear) << "6 % is between the thresholds: as it was";
  nack(health, 65534, 3);  // in a later interval, still the same packets
  report(0);
  EXPECT_EQ(health.loss(), 0);
}

}  // namespace
}  // namespace callcast::media
