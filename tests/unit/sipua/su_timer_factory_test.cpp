// The production timers of the SIP side over a sofia su_root: they fire once, re-arm, and a
// disabled or destroyed timer stays silent. Real milliseconds on the root's own loop.
#include "sipua/su_timer_factory.hpp"

#include <gtest/gtest.h>
#include <sofia-sip/su_wait.h>

#include <chrono>

namespace callcast::sipua {
namespace {

using namespace std::chrono_literals;

class SuTimerFactoryTest : public ::testing::Test {
 protected:
  SuTimerFactoryTest() {
    su_init();
    root_ = su_root_create(nullptr);
    factory_ = std::make_unique<SuTimerFactory>(root_);
  }
  ~SuTimerFactoryTest() override {
    factory_.reset();
    su_root_destroy(root_);
    su_deinit();
  }
  // Runs the root's loop for about `span`.
  void run_for(std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end)
      su_root_step(root_, 5);
  }

  su_root_t* root_ = nullptr;
  std::unique_ptr<SuTimerFactory> factory_;
};

TEST_F(SuTimerFactoryTest, FiresOnceAfterItsDelay) {
  int fired = 0;
  auto timer = factory_->create_timer([&] { ++fired; });
  EXPECT_FALSE(timer->enabled());
  timer->enable(10ms);
  EXPECT_TRUE(timer->enabled());
  run_for(60ms);
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer->enabled());
}

TEST_F(SuTimerFactoryTest, ReArmingFromItsCallbackRunsItAgain) {
  int fired = 0;
  std::unique_ptr<core::Timer> timer;
  timer = factory_->create_timer([&] {
    if (++fired < 3) timer->enable(1ms);
  });
  timer->enable(1ms);
  run_for(80ms);
  EXPECT_EQ(fired, 3);
}

TEST_F(SuTimerFactoryTest, DisabledOrDestroyedTimersStaySilent) {
  int fired = 0;
  auto disabled = factory_->create_timer([&] { ++fired; });
  auto destroyed = factory_->create_timer([&] { ++fired; });
  disabled->enable(5ms);
  destroyed->enable(5ms);
  disabled->disable();
  destroyed.reset();
  run_for(40ms);
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace callcast::sipua
