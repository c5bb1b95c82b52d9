#pragma once
// A clock and timers that move only when the test says so (core::TimeSource + TimerFactory).
// advance() runs every timer that falls due, in deadline order, on the calling thread, with
// now() reading each timer's deadline while it runs: call it from the thread that owns the
// component under test (or while that component's loop is not running).
#include <cstdint>
#include <map>
#include <memory>

#include "core/time_source.hpp"

namespace callcast::test {

class SimulatedTime final : public core::TimeSource, public core::TimerFactory {
 public:
  // Starts at an arbitrary fixed point, so tests do not depend on the machine's clocks.
  SimulatedTime();
  // Destroy the component under test (and so its timers) first.
  ~SimulatedTime() override = default;
  SimulatedTime(const SimulatedTime&) = delete;
  SimulatedTime& operator=(const SimulatedTime&) = delete;

  core::SteadyClock::time_point now() const override { return now_; }
  core::WallClock::time_point wall_now() const override;
  std::unique_ptr<core::Timer> create_timer(std::function<void()> callback) override;

  // Moves time forward by `by`, running the timers due on the way (including those armed by a
  // callback for a deadline still inside the step). Returns how many ran.
  std::size_t advance(core::SteadyClock::duration by);
  // Timers armed now.
  std::size_t pending() const { return due_.size(); }

 private:
  class SimulatedTimer;
  using Due =
      std::multimap<std::pair<core::SteadyClock::time_point, std::uint64_t>, SimulatedTimer*>;

  core::SteadyClock::time_point now_;
  core::SteadyClock::time_point start_;
  core::WallClock::time_point wall_start_;
  Due due_;
  std::uint64_t next_order_ = 0;
};

}  // namespace callcast::test
