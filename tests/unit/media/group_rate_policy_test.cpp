// Issue 12 item 4 ([0091]): the group's rate follows the share of congested viewers; a minority
// is thinned instead of dragging the rest down.
#include "media/group_rate_policy.hpp"

#include <gtest/gtest.h>

#include "unit/media/receiver_reports.hpp"

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

class GroupRatePolicyTest : public ::testing::Test {
 protected:
  GroupRatePolicyTest() { policy.set_ceiling(2'000'000); }

  GroupRatePolicy policy;
  Clock::time_point t0 = Clock::time_point{} + 100s;
};

TEST_F(GroupRatePolicyTest, NothingToDoWithoutReportsOrCeiling) {
  EXPECT_FALSE(policy.evaluate({0, 0, 0}, t0));
  GroupRatePolicy unset;
  EXPECT_FALSE(unset.evaluate({4, 4, 0}, t0));
}

TEST_F(GroupRatePolicyTest, HalfTheViewersCongestedLowersTheRateStepByStep) {
  auto first = policy.evaluate({4, 2, 2}, t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 1'700'000u);
  EXPECT_TRUE(policy.lowering());
  EXPECT_FALSE(policy.evaluate({4, 2, 2}, t0 + 500ms));  // at most once per second
  auto second = policy.evaluate({4, 3, 1}, t0 + 1s);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 1'445'000u);
  EXPECT_EQ(policy.decreases(), 2u);
}

TEST_F(GroupRatePolicyTest, TheRateNeverGoesBelowTheFloor) {
  Clock::time_point t = t0;
  for (int i = 0; i < 40; ++i, t += 1s)
    policy.evaluate({1, 1, 0}, t);
  ASSERT_TRUE(policy.target_bps());
  EXPECT_EQ(*policy.target_bps(), policy.settings().min_bps);
  EXPECT_FALSE(policy.evaluate({1, 1, 0}, t));  // already there: nothing new to ask
}

TEST_F(GroupRatePolicyTest, AMinorityDoesNotLowerTheRate) {
  EXPECT_FALSE(policy.evaluate({10, 4, 6}, t0));
  EXPECT_FALSE(policy.lowering());
  EXPECT_FALSE(policy.target_bps());
}

TEST_F(GroupRatePolicyTest, TheRateClimbsBackOnceEveryViewerHasBeenClearLongEnough) {
  ASSERT_TRUE(policy.evaluate({2, 2, 0}, t0));  // 1.7 Mbit/s
  EXPECT_FALSE(policy.evaluate({2, 0, 2}, t0 + 1s));
  EXPECT_FALSE(policy.evaluate({2, 0, 2}, t0 + 3s));  // clear for 2 s only
  auto up = policy.evaluate({2, 0, 2}, t0 + 4s);
  ASSERT_TRUE(up);
  EXPECT_EQ(*up, 1'870'000u);
  EXPECT_FALSE(policy.evaluate({2, 0, 2}, t0 + 5s));  // one step per 2 s
  auto ceiling = policy.evaluate({2, 0, 2}, t0 + 6s);
  ASSERT_TRUE(ceiling);
  EXPECT_EQ(*ceiling, 2'000'000u);  // never above what the publisher started with
  EXPECT_FALSE(policy.evaluate({2, 0, 2}, t0 + 8s));
  EXPECT_EQ(policy.increases(), 2u);
}

TEST_F(GroupRatePolicyTest, AViewerInBetweenHoldsTheClimb) {
  ASSERT_TRUE(policy.evaluate({2, 2, 0}, t0));
  EXPECT_FALSE(policy.evaluate({2, 0, 1}, t0 + 10s));
  EXPECT_FALSE(policy.evaluate({2, 0, 2}, t0 + 11s));  // the clear stretch starts now
  EXPECT_TRUE(policy.evaluate({2, 0, 2}, t0 + 14s));
}

TEST_F(GroupRatePolicyTest, ALoweredCeilingCapsTheTarget) {
  ASSERT_TRUE(policy.evaluate({1, 1, 0}, t0));
  policy.set_ceiling(1'000'000);
  EXPECT_EQ(policy.target_bps(), 1'000'000u);
}

// A viewer's path judged congested at t, from one report of `loss`.
ViewerHealth health_at(double loss, Clock::time_point t) {
  ViewerHealth health;
  ReceiverReports reports;
  health.on_report(reports.next(0), t - 1s);  // starts the interval judged at t
  health.on_report(reports.next(loss), t);
  return health;
}

TEST_F(GroupRatePolicyTest, ACongestedMinorityViewerIsThinnedAfterAWhileAndUnthinnedWhenClear) {
  EXPECT_FALSE(policy.evaluate({10, 1, 9}, t0));
  const ViewerHealth congested = health_at(0.2, t0);
  EXPECT_FALSE(policy.thin(congested, false, 0, t0 + 1s));
  EXPECT_TRUE(policy.thin(congested, false, 0, t0 + 2s));
  EXPECT_TRUE(policy.thin(congested, true, 1, t0 + 60s));  // still congested: stays thinned
  const ViewerHealth clear = health_at(0.0, t0 + 10s);
  EXPECT_TRUE(policy.thin(clear, true, 1, t0 + 12s));  // clear for 2 s only
  EXPECT_FALSE(policy.thin(clear, true, 1, t0 + 13s));
}

TEST_F(GroupRatePolicyTest, AViewerThinnedAgainWaitsLongerBeforeTheFullRate) {
  const ViewerHealth clear = health_at(0.0, t0);
  EXPECT_FALSE(policy.thin(clear, true, 1, t0 + 3s));
  EXPECT_TRUE(policy.thin(clear, true, 2, t0 + 5s));  // second time: 6 s
  EXPECT_FALSE(policy.thin(clear, true, 2, t0 + 6s));
  EXPECT_TRUE(policy.thin(clear, true, 3, t0 + 11s));  // third: 12 s
  EXPECT_FALSE(policy.thin(clear, true, 3, t0 + 12s));
  EXPECT_TRUE(policy.thin(clear, true, 50, t0 + 23s));  // never more than 24 s
  EXPECT_FALSE(policy.thin(clear, true, 50, t0 + 24s));
}

TEST_F(GroupRatePolicyTest, TheFirstViewerToReportIsNotTheWholeGroup) {
  // One of four has reported, congested; the three others are not judged yet.
  EXPECT_FALSE(policy.evaluate({.reporting = 1, .congested = 1, .clear = 0, .viewers = 4}, t0));
  EXPECT_FALSE(policy.lowering());
  EXPECT_TRUE(policy.evaluate({.reporting = 2, .congested = 2, .clear = 0, .viewers = 4}, t0));
}

TEST_F(GroupRatePolicyTest, NobodyIsThinnedWhileTheGroupLowersItsRate) {
  ASSERT_TRUE(policy.evaluate({2, 1, 1}, t0));
  const ViewerHealth congested = health_at(0.2, t0);
  EXPECT_FALSE(policy.thin(congested, false, 0, t0 + 10s));
}

}  // namespace
}  // namespace callcast::media
