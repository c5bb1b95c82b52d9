#include "sipua/su_timer_factory.hpp"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include <algorithm>

namespace callcast::sipua {
namespace {

class SuTimer final : public core::Timer {
 public:
  SuTimer(su_root_t* root, std::function<void()> callback)
      : timer_(su_timer_create(su_root_task(root), 0)), callback_(std::move(callback)) {}
  ~SuTimer() override { su_timer_destroy(timer_); }
  SuTimer(const SuTimer&) = delete;
  SuTimer& operator=(const SuTimer&) = delete;

  void enable(core::SteadyClock::duration delay) override {
    const auto ms = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    su_timer_reset(timer_);
    su_timer_set_interval(timer_, &SuTimer::fire, this, static_cast<su_duration_t>(ms));
  }
  void disable() override { su_timer_reset(timer_); }
  bool enabled() const override { return su_timer_is_set(timer_) != 0; }

 private:
  static void fire(su_root_magic_t* /*magic*/, su_timer_t* /*timer*/, su_timer_arg_t* arg) {
    // The callback may re-arm this timer; it must not destroy it.
    static_cast<SuTimer*>(arg)->callback_();
  }

  su_timer_t* timer_;
  std::function<void()> callback_;
};

}  // namespace

std::unique_ptr<core::Timer> SuTimerFactory::create_timer(std::function<void()> callback) {
  return std::make_unique<SuTimer>(root_, std::move(callback));
}

}  // namespace callcast::sipua
