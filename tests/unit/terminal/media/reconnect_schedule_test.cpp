// The broadcaster's reconnect policy (issue 10, item 2): back-off steps, the budget, the end.
#include "terminal/media/reconnect_schedule.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace callcast::terminal {
namespace {

using std::chrono::milliseconds;

// The attempt start times (ms after the loss) of a server that refuses every connection at once.
std::vector<long long> attempt_times(milliseconds budget) {
  const ReconnectSchedule schedule(budget);
  std::vector<long long> times;
  milliseconds now{0};
  for (int made = 0; made < 100; ++made) {
    const auto delay = schedule.next_delay(made, now);
    if (!delay) break;
    now += *delay;
    times.push_back(now.count());
  }
  return times;
}

TEST(ReconnectSchedule, BacksOffFrom200MsTo1600MsWithinTheServersGrace) {
  EXPECT_EQ(attempt_times(milliseconds(5000)),
            (std::vector<long long>{200, 600, 1400, 3000, 4600, 5000}));
}

TEST(ReconnectSchedule, AShortBudgetGetsItsLastAttemptAtItsEnd) {
  EXPECT_EQ(attempt_times(milliseconds(500)), (std::vector<long long>{200, 500}));
}

TEST(ReconnectSchedule, ASpentBudgetMeansGivingUp) {
  const ReconnectSchedule schedule(milliseconds(5000));
  EXPECT_FALSE(schedule.next_delay(3, milliseconds(5000)));
  EXPECT_FALSE(schedule.next_delay(0, milliseconds(7000)));
  EXPECT_FALSE(ReconnectSchedule(milliseconds(0)).next_delay(0, milliseconds(0)));
}

TEST(ReconnectSchedule, AnAttemptMayUseWhatIsLeftButNotLessThanTheFloor) {
  const ReconnectSchedule schedule(milliseconds(5000));
  EXPECT_EQ(schedule.attempt_timeout(milliseconds(1000)), milliseconds(4000));
  EXPECT_EQ(schedule.attempt_timeout(milliseconds(4900)), milliseconds(500));
}

}  // namespace
}  // namespace callcast::terminal
