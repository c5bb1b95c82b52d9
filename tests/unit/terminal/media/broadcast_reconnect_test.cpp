// The broadcaster's reconnect state (issue 10, item 2) on a simulated clock: when attempts
// start, how long each may take, the outage it reports, and the line when it gives up.
#include "terminal/media/broadcast_reconnect.hpp"

#include <gtest/gtest.h>

#include "support/simulated_time.hpp"

namespace callcast::terminal {
namespace {

using std::chrono::milliseconds;

class BroadcastReconnectTest : public ::testing::Test {
 protected:
  // Waits out the delay before the next attempt and starts it; false when it gives up instead.
  bool wait_and_start_attempt() {
    const auto delay = reconnect_.next_delay();
    if (!delay) return false;
    time_.advance(*delay);
    reconnect_.start_attempt();
    return true;
  }

  test::SimulatedTime time_;
  BroadcastReconnect reconnect_{milliseconds(5000), time_};
};

TEST_F(BroadcastReconnectTest, TheFirstLossStartsItAndALaterOneDoesNot) {
  EXPECT_FALSE(reconnect_.active());
  EXPECT_TRUE(reconnect_.lost("Could not write to resource."));
  EXPECT_TRUE(reconnect_.active());
  ASSERT_TRUE(wait_and_start_attempt());
  EXPECT_FALSE(reconnect_.lost("Failed to connect."));
  EXPECT_EQ(reconnect_.attempt(), 1);
}

TEST_F(BroadcastReconnectTest, AttemptsStartOnTheScheduleCountedFromTheLoss) {
  reconnect_.lost("reset");
  std::vector<long long> starts;
  while (wait_and_start_attempt()) {
    starts.push_back(reconnect_.since_loss().count());
    reconnect_.lost("refused");
  }
  EXPECT_EQ(starts, (std::vector<long long>{200, 600, 1400, 3000, 4600, 5000}));
}

TEST_F(BroadcastReconnectTest, AnAttemptMayTakeWhatIsLeftOfTheBudget) {
  reconnect_.lost("reset");
  ASSERT_TRUE(wait_and_start_attempt());
  EXPECT_EQ(reconnect_.attempt_timeout(), milliseconds(4800));
  time_.advance(milliseconds(4700));
  EXPECT_EQ(reconnect_.attempt_timeout(), milliseconds(500));  // the floor
}

TEST_F(BroadcastReconnectTest, StreamingAgainReportsTheOutageAndTheAttempts) {
  reconnect_.lost("reset");
  ASSERT_TRUE(wait_and_start_attempt());
  reconnect_.lost("refused");
  ASSERT_TRUE(wait_and_start_attempt());
  time_.advance(milliseconds(150));  // the attempt's RECORD and first frame
  const auto outcome = reconnect_.reconnected();
  EXPECT_EQ(outcome.outage, milliseconds(750));
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_FALSE(reconnect_.active());
  EXPECT_EQ(reconnect_.reconnects(), 1u);
  EXPECT_EQ(reconnect_.last_outage(), milliseconds(750));
}

TEST_F(BroadcastReconnectTest, ALaterLossStartsAFreshCountAndClock) {
  reconnect_.lost("reset");
  ASSERT_TRUE(wait_and_start_attempt());
  reconnect_.reconnected();
  time_.advance(milliseconds(60'000));
  EXPECT_TRUE(reconnect_.lost("reset again"));
  EXPECT_EQ(reconnect_.attempt(), 0);
  EXPECT_EQ(reconnect_.since_loss(), milliseconds(0));
  EXPECT_EQ(reconnect_.next_delay(), milliseconds(200));
}

TEST_F(BroadcastReconnectTest, ASpentBudgetGivesTheLineWithTheLastError) {
  reconnect_.lost("reset");
  while (wait_and_start_attempt())
    reconnect_.attempt_timed_out();
  EXPECT_EQ(reconnect_.budget_spent_line(),
            "lost the media connection and could not get it back within 5 s (6 attempts; last: "
            "no answer from the media server)");
  reconnect_.abandon();
  EXPECT_FALSE(reconnect_.active());
  EXPECT_EQ(reconnect_.reconnects(), 0u);
}

TEST(BroadcastReconnect, AZeroBudgetIsDisabled) {
  test::SimulatedTime time;
  EXPECT_FALSE(BroadcastReconnect(milliseconds(0), time).enabled());
  EXPECT_TRUE(BroadcastReconnect(milliseconds(1500), time).enabled());
  BroadcastReconnect short_budget(milliseconds(1500), time);
  short_budget.lost("reset");
  EXPECT_NE(short_budget.budget_spent_line().find("within 1.5 s"), std::string::npos);
}

}  // namespace
}  // namespace callcast::terminal
