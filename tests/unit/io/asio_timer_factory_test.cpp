#include "io/asio_timer_factory.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <vector>

namespace callcast::io {
namespace {

using namespace std::chrono_literals;

TEST(AsioTimerFactory, ATimerRunsOnceOnItsLoop) {
  boost::asio::io_context io;
  AsioTimerFactory timers(io);
  int runs = 0;
  auto timer = timers.create_timer([&] { ++runs; });
  timer->enable(1ms);
  EXPECT_TRUE(timer->enabled());
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(timer->enabled());
}

TEST(AsioTimerFactory, ReArmingReplacesTheEarlierDeadline) {
  boost::asio::io_context io;
  AsioTimerFactory timers(io);
  int runs = 0;
  auto timer = timers.create_timer([&] { ++runs; });
  timer->enable(0ms);
  timer->enable(2ms);  // the first wait is cancelled, not run
  io.run();
  EXPECT_EQ(runs, 1);
}

TEST(AsioTimerFactory, ADisabledOrDestroyedTimerNeverRuns) {
  boost::asio::io_context io;
  AsioTimerFactory timers(io);
  int runs = 0;
  auto disabled = timers.create_timer([&] { ++runs; });
  disabled->enable(0ms);
  disabled->disable();
  auto destroyed = timers.create_timer([&] { ++runs; });
  destroyed->enable(0ms);
  destroyed.reset();
  io.run();
  EXPECT_EQ(runs, 0);
  EXPECT_FALSE(disabled->enabled());
}

TEST(AsioTimerFactory, ACallbackMayReArmItsOwnTimer) {
  boost::asio::io_context io;
  AsioTimerFactory timers(io);
  int runs = 0;
  std::unique_ptr<core::Timer> timer;
  timer = timers.create_timer([&] {
    if (++runs < 3) timer->enable(0ms);
  });
  timer->enable(0ms);
  io.run();
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace callcast::io
