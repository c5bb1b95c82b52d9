// Issue 12 item 4: a viewer's path judged from its receiver reports and NACKs, with hysteresis,
// on the loss repair could not make whole.
#include "media/viewer_health.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

class ViewerHealthTest : public ::testing::Test {
 protected:
  // One report per second, kInterval packets after the last, `loss` of them counted lost.
  void report(double loss, std::optional<Clock::duration> rtt = 50ms, bool settling = false) {
    highest_ += kInterval;
    cumulative_ += static_cast<std::int32_t>(std::lround(loss * kInterval));
    now_ += 1s;
    ReceiverFigures figures;
    figures.cumulative_lost = cumulative_;
    figures.highest_sequence = highest_;
    figures.jitter_ms = 2.0;
    figures.round_trip = rtt;
    figures.repairs_counted = repairs_counted_;
    figures.settling = settling;
    health.on_report(figures, now_);
  }
  // Sequence numbers `first`, `first` + 1, ... named in NACKs, resent or not.
  void nack(std::uint16_t first, int count, bool resent = true) {
    for (int i = 0; i < count; ++i)
      health.on_nack(static_cast<std::uint16_t>(first + i), resent);
  }

  static constexpr std::uint32_t kInterval = 100;
  ViewerHealth health;
  bool repairs_counted_ = true;  // repairs as the original packet (no RTX)
  std::uint32_t highest_ = 1000;
  std::int32_t cumulative_ = 0;
  Clock::time_point now_ = Clock::time_point{} + 100s;
};

TEST_F(ViewerHealthTest, UnknownUntilAnIntervalIsJudged) {
  EXPECT_EQ(health.verdict(), PathVerdict::unknown);
  report(0);  // starts the first interval
  EXPECT_EQ(health.verdict(), PathVerdict::unknown);
  report(0);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  EXPECT_EQ(health.reports(), 2u);
}

TEST_F(ViewerHealthTest, LossAtTheThresholdIsCongestionAndBetweenItHolds) {
  report(0);
  report(0.10);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0.10)
      << "repairs as originals: the report is after them";
  const auto since = health.verdict_since();
  report(0.05);  // between clear (2 %) and congested (10 %): stays congested
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  EXPECT_EQ(health.verdict_since(), since);
  report(0.02);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  report(0.05);  // ...and from clear it stays clear
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, FirstJudgedIntervalBetweenTheThresholdsHolds) {
  report(0);
  report(0.05);
  EXPECT_EQ(health.verdict(), PathVerdict::holding);
}

TEST_F(ViewerHealthTest, RandomLossThatRepairMadeWholeIsNotCongestion) {
  repairs_counted_ = false;  // RTX: its report of the media SSRC counts every loss
  report(0);
  nack(200, 6);
  nack(300, 6);  // 12 of the 100 packets, each resent
  report(0.12);
  EXPECT_DOUBLE_EQ(health.loss(), 0.12) << "the path lost them: the stats say so";
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, LossItReportsBeyondTheRepairsSentIsResidual) {
  repairs_counted_ = false;
  report(0);
  nack(200, 3);  // resent
  report(0.15);  // 15 lost, 3 of them resent: 12 %
  EXPECT_DOUBLE_EQ(health.loss(), 0.15);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0.12);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
}

TEST_F(ViewerHealthTest, NacksThatCouldNotBeResentAreCongestionEvenUnreported) {
  report(0);
  nack(200, 6, false);  // past the window or over its budget
  nack(300, 6, false);
  report(0);  // a player whose report hides them (it counted what it concealed)
  EXPECT_DOUBLE_EQ(health.loss(), 0.12);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0.12);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  report(0);  // the count starts again at each judged interval
  EXPECT_EQ(health.loss(), 0);
  EXPECT_EQ(health.residual_loss(), 0);
}

TEST_F(ViewerHealthTest, APacketRefusedOnceCountsUnrepairedOnce) {
  report(0);
  nack(200, 1, false);  // refused, then resent when asked again
  nack(200, 1, true);
  nack(300, 1, true);  // resent, then refused when asked again (its repair was lost)
  nack(300, 1, false);
  nack(300, 1, false);
  report(0);
  EXPECT_DOUBLE_EQ(health.loss(), 0.02);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0.02);
}

TEST_F(ViewerHealthTest, NacksBeforeAnIntervalIsKnownAreNotJudged) {
  nack(200, 40, false);
  report(0);  // no earlier report: no interval to divide by
  report(0);
  EXPECT_EQ(health.loss(), 0);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
}

TEST_F(ViewerHealthTest, ReportsAFewPacketsApartAreJudgedTogether) {
  report(0);
  nack(200, 5, false);
  highest_ -= kInterval - 10;  // an early feedback packet 10 packets on
  report(0);
  EXPECT_EQ(health.verdict(), PathVerdict::unknown) << "5 of 10 is not 50 % lost";
  report(0);  // 110 packets since the interval began
  EXPECT_NEAR(health.residual_loss(), 5.0 / 110, 1e-9);
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
  report(0, std::nullopt);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  EXPECT_FALSE(health.round_trip());
}

TEST_F(ViewerHealthTest, SettlingReportsOnlyStartAnInterval) {
  report(0.5, 300ms, true);  // the join burst: its loss and its queue are not the path's
  report(0.5, 300ms, true);
  EXPECT_EQ(health.verdict(), PathVerdict::unknown);
  report(0, 50ms);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  ASSERT_TRUE(health.queue_delay());
  EXPECT_EQ(*health.queue_delay(), 0ms) << "the burst's round trip is not the floor";
}

TEST_F(ViewerHealthTest, ASequenceThatGoesBackDoesNotMakeLoss) {
  report(0);
  report(0);
  highest_ = 10;  // a new publisher's numbering as the player extended it
  nack(200, 5, false);
  report(0);
  EXPECT_EQ(health.loss(), 0);
}

TEST_F(ViewerHealthTest, APacketAskedForAgainCountsOnce) {
  report(0);
  for (int attempt = 0; attempt < 4; ++attempt)  // its retransmissions were lost or refused
    nack(65534, 3);                              // 65534, 65535, 0: across the wrap
  report(0);
  EXPECT_NEAR(health.loss(), 0.03, 1e-9) << "3 of 100, not 12";
  nack(65534, 3);  // in a later interval, still the same packets
  report(0);
  EXPECT_EQ(health.loss(), 0);
}

// A player whose reports carry no report block (only early feedback, as rtspsrc under heavy
// loss): judged from its NACKs against what it was sent.
TEST_F(ViewerHealthTest, ASilentPlayerIsJudgedFromItsNacksAgainstWhatItWasSent) {
  health.on_tick(5000, now_);  // the first tick starts the count
  nack(200, 30, false);
  health.on_tick(5200, now_ + 1s);
  EXPECT_EQ(health.verdict(), PathVerdict::unknown) << "within the silence allowed";
  health.on_tick(5200, now_ + 2s);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 30.0 / 200);
  nack(400, 30, true);  // all resent: its path loses, repair keeps up
  health.on_tick(5400, now_ + 4s);
  EXPECT_EQ(health.verdict(), PathVerdict::clear);
  EXPECT_DOUBLE_EQ(health.loss(), 30.0 / 200);
}

TEST_F(ViewerHealthTest, APlayerThatNacksNothingIsNotJudgedBySilence) {
  health.on_tick(0, now_);
  health.on_tick(1000, now_ + 10s);
  EXPECT_EQ(health.verdict(), PathVerdict::unknown);
  // ffmpeg NACKs only in the compound of its receiver report, ~280 kB apart: between them it
  // is silent, which says nothing about its path.
  report(0);
  nack(200, 20, false);
  report(0.2);
  ASSERT_EQ(health.verdict(), PathVerdict::congested);
  health.on_tick(2000, now_ + 5s);
  health.on_tick(3000, now_ + 10s);
  EXPECT_EQ(health.verdict(), PathVerdict::congested);
}

TEST_F(ViewerHealthTest, ReportsKeepSilenceFromJudging) {
  health.on_tick(0, now_);
  report(0);
  nack(200, 3, false);
  report(0);  // judged: 3 %
  health.on_tick(100, now_);
  EXPECT_DOUBLE_EQ(health.residual_loss(), 0.03);
  EXPECT_EQ(health.verdict(), PathVerdict::holding);
}

}  // namespace
}  // namespace callcast::media
