// core::Timer on a GLib main context: a timer fires once on that context's loop, can be
// re-armed (also from its own callback), disabled, and destroyed from its own callback.
#include "terminal/media/glib_timer_factory.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

using std::chrono::milliseconds;

class GlibTimerFactoryTest : public ::testing::Test {
 protected:
  GlibTimerFactoryTest() : context_(g_main_context_new()) {}
  ~GlibTimerFactoryTest() override { g_main_context_unref(context_); }

  // A timer of the fixture's factory counting its runs in fired_.
  std::unique_ptr<core::Timer> counting_timer() {
    return factory_.create_timer([this] { ++fired_; });
  }

  // Runs whatever is due now, without waiting (the timers here are armed for 0 ms: due at once).
  void run_pending() {
    while (g_main_context_iteration(context_, FALSE)) {
    }
  }

  GMainContext* context_;
  GlibTimerFactory factory_{context_};
  int fired_ = 0;
};

TEST_F(GlibTimerFactoryTest, FiresOnceOnItsContext) {
  auto timer = counting_timer();
  EXPECT_FALSE(timer->enabled());
  timer->enable(milliseconds(0));
  EXPECT_TRUE(timer->enabled());
  run_pending();
  EXPECT_EQ(fired_, 1);
  EXPECT_FALSE(timer->enabled());
  run_pending();
  EXPECT_EQ(fired_, 1);
}

TEST_F(GlibTimerFactoryTest, DisabledDoesNotFire) {
  auto timer = counting_timer();
  timer->enable(milliseconds(0));
  timer->disable();
  EXPECT_FALSE(timer->enabled());
  run_pending();
  EXPECT_EQ(fired_, 0);
}

TEST_F(GlibTimerFactoryTest, EnablingAgainReplacesTheDeadline) {
  auto timer = counting_timer();
  timer->enable(milliseconds(0));
  timer->enable(milliseconds(60'000));
  run_pending();
  EXPECT_EQ(fired_, 0);
  EXPECT_TRUE(timer->enabled());
}

TEST_F(GlibTimerFactoryTest, ACallbackMayReArmItsTimer) {
  GlibTimerFactory factory(context_);
  int fired = 0;
  std::unique_ptr<core::Timer> timer;
  timer = factory.create_timer([&] {
    if (++fired < 3) timer->enable(milliseconds(0));
  });
  timer->enable(milliseconds(0));
  run_pending();
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer->enabled());
}

TEST_F(GlibTimerFactoryTest, ACallbackMayDestroyItsTimer) {
  GlibTimerFactory factory(context_);
  int fired = 0;
  std::unique_ptr<core::Timer> timer;
  timer = factory.create_timer([&] {
    ++fired;
    timer.reset();
  });
  timer->enable(milliseconds(0));
  run_pending();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(timer, nullptr);
}

TEST_F(GlibTimerFactoryTest, TimersOutliveTheirFactory) {
  int fired = 0;
  std::unique_ptr<core::Timer> timer;
  {
    GlibTimerFactory factory(context_);
    timer = factory.create_timer([&] { ++fired; });
  }
  timer->enable(milliseconds(0));
  run_pending();
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace callcast::terminal
