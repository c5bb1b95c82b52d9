#include "support/simulated_time.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace callcast::test {

class SimulatedTime::SimulatedTimer final : public core::Timer {
 public:
  SimulatedTimer(SimulatedTime& time, std::function<void()> callback)
      : time_(time), callback_(std::move(callback)) {}
  ~SimulatedTimer() override { disable(); }
  SimulatedTimer(const SimulatedTimer&) = delete;
  SimulatedTimer& operator=(const SimulatedTimer&) = delete;

  void enable(core::SteadyClock::duration delay) override {
    disable();
    entry_ = time_.due_.emplace(std::pair{time_.now_ + delay, time_.next_order_++}, this);
    armed_ = true;
  }
  void disable() override {
    if (!armed_) return;
    time_.due_.erase(entry_);
    armed_ = false;
  }
  bool enabled() const override { return armed_; }

  // Called by advance() after it removed the entry.
  void fire() {
    armed_ = false;
    callback_();
  }

 private:
  SimulatedTime& time_;
  std::function<void()> callback_;
  Due::iterator entry_;
  bool armed_ = false;
};

SimulatedTime::SimulatedTime()
    : now_(core::SteadyClock::time_point{} + std::chrono::hours(1000)),
      start_(now_),
      // 2030-01-01T00:00:00Z: far from the epoch and any real "now" a bug could confuse it with.
      wall_start_(core::WallClock::time_point{} + std::chrono::seconds(1893456000)) {}

core::WallClock::time_point SimulatedTime::wall_now() const {
  return wall_start_ + std::chrono::duration_cast<core::WallClock::duration>(now_ - start_);
}

std::unique_ptr<core::Timer> SimulatedTime::create_timer(std::function<void()> callback) {
  return std::make_unique<SimulatedTimer>(*this, std::move(callback));
}

std::size_t SimulatedTime::advance(core::SteadyClock::duration by) {
  const auto target = now_ + by;
  std::size_t ran = 0;
  while (!due_.empty() && due_.begin()->first.first <= target) {
    auto first = due_.begin();
    SimulatedTimer* timer = first->second;
    now_ = std::max(now_, first->first.first);
    due_.erase(first);
    timer->fire();
    ++ran;
  }
  now_ = target;
  return ran;
}

}  // namespace callcast::test
