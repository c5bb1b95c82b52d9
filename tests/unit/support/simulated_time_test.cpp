#include "support/simulated_time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

TEST(SimulatedTime, StandsStillUntilAdvanced) {
  SimulatedTime time;
  const auto steady = time.now();
  const auto wall = time.wall_now();
  EXPECT_EQ(time.now(), steady);
  time.advance(1500ms);
  EXPECT_EQ(time.now() - steady, 1500ms);
  EXPECT_EQ(time.wall_now() - wall, 1500ms);
}

TEST(SimulatedTime, TimersRunInDeadlineOrderWithTheClockAtTheirDeadline) {
  SimulatedTime time;
  const auto start = time.now();
  std::vector<std::pair<int, core::SteadyClock::duration>> ran;
  auto late = time.create_timer([&] { ran.emplace_back(2, time.now() - start); });
  auto early = time.create_timer([&] { ran.emplace_back(1, time.now() - start); });
  late->enable(3s);
  early->enable(1s);
  EXPECT_EQ(time.advance(500ms), 0u);
  EXPECT_EQ(time.advance(10s), 2u);
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0], std::make_pair(1, core::SteadyClock::duration(1s)));
  EXPECT_EQ(ran[1], std::make_pair(2, core::SteadyClock::duration(3s)));
  EXPECT_EQ(time.now() - start, 10500ms);
}

TEST(SimulatedTime, APeriodicTimerRunsOncePerPeriodInsideOneStep) {
  SimulatedTime time;
  int runs = 0;
  std::unique_ptr<core::Timer> tick;
  tick = time.create_timer([&] {
    ++runs;
    tick->enable(1s);
  });
  tick->enable(1s);
  EXPECT_EQ(time.advance(5s), 5u);
  EXPECT_EQ(runs, 5);
  EXPECT_TRUE(tick->enabled());
}

TEST(SimulatedTime, DisabledAndDestroyedTimersDoNotRun) {
  SimulatedTime time;
  int runs = 0;
  auto disabled = time.create_timer([&] { ++runs; });
  auto destroyed = time.create_timer([&] { ++runs; });
  disabled->enable(1s);
  destroyed->enable(1s);
  disabled->disable();
  destroyed.reset();
  EXPECT_EQ(time.pending(), 0u);
  time.advance(2s);
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace callcast::test
