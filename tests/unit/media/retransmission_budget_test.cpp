#include "media/retransmission_budget.hpp"

#include <gtest/gtest.h>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

constexpr double kRate = 10000;  // bytes per second
constexpr double kDepth = 5000;

TEST(RetransmissionBudget, StartsFullAndRefusesWhatIsOverTheDepth) {
  RetransmissionBudget budget;
  const Clock::time_point now{};
  EXPECT_TRUE(budget.take(4000, kRate, kDepth, now));
  EXPECT_TRUE(budget.take(1000, kRate, kDepth, now));
  EXPECT_FALSE(budget.take(1, kRate, kDepth, now));
}

TEST(RetransmissionBudget, RefillsAtTheRateUpToTheDepth) {
  RetransmissionBudget budget;
  Clock::time_point now{};
  EXPECT_TRUE(budget.take(5000, kRate, kDepth, now));
  now += 100ms;  // 1000 bytes back
  EXPECT_FALSE(budget.take(1200, kRate, kDepth, now));
  EXPECT_TRUE(budget.take(1000, kRate, kDepth, now));
  now += 10s;  // capped at the depth, not 100 kB
  EXPECT_TRUE(budget.take(5000, kRate, kDepth, now));
  EXPECT_FALSE(budget.take(100, kRate, kDepth, now));
}

TEST(RetransmissionBudget, LongRunRateIsTheShare) {
  RetransmissionBudget budget;
  Clock::time_point now{};
  std::size_t granted = 0;
  for (int ms = 0; ms < 10000; ++ms) {  // asks for 1200 bytes every millisecond for 10 s
    if (budget.take(1200, kRate, kDepth, now)) granted += 1200;
    now += 1ms;
  }
  EXPECT_LE(granted, 10 * 10000 + 5000 + 1200);
  EXPECT_GE(granted, 10 * 10000 - 1200);
}

TEST(RetransmissionBudget, RefusalTakesNothing) {
  RetransmissionBudget budget;
  const Clock::time_point now{};
  EXPECT_FALSE(budget.take(6000, kRate, kDepth, now));
  EXPECT_TRUE(budget.take(5000, kRate, kDepth, now));
}

TEST(RetransmissionBudget, AGrantAddsRoomBeyondTheDepthUntilUsed) {
  RetransmissionBudget budget;
  Clock::time_point now{};
  budget.grant(8000);  // a join burst's share, before the first loss
  EXPECT_TRUE(budget.take(12000, kRate, kDepth, now));
  EXPECT_TRUE(budget.take(1000, kRate, kDepth, now));
  EXPECT_FALSE(budget.take(1, kRate, kDepth, now));
  budget.grant(3000);
  now += 10s;  // a grant below the depth is no more than the refill: it stops at the depth
  EXPECT_TRUE(budget.take(5000, kRate, kDepth, now));
  EXPECT_FALSE(budget.take(100, kRate, kDepth, now));
}

TEST(RetransmissionBudget, AnUnusedGrantOutlivesTheRefill) {
  RetransmissionBudget budget;
  Clock::time_point now{};
  EXPECT_TRUE(budget.take(1000, kRate, kDepth, now));
  budget.grant(20000);
  now += 1s;  // refilling never lowers what is there
  EXPECT_TRUE(budget.take(24000, kRate, kDepth, now));
}

}  // namespace
}  // namespace callcast::media
