#pragma once
// Time is given, not read (STYLE.md "Seams and time"). Every component that needs the time or a
// timer takes a TimeSource and a TimerFactory; production passes the real clock and its event
// loop's timers, tests a SimulatedTime (tests/support) they advance by hand, so token expiry,
// session timeouts, NACK and PLI timers and SIP timers are tested without sleeping.
// (Envoy's TimeSource/Dispatcher::createTimer and WebRTC's SimulatedClock are the models.)
#include <chrono>
#include <functional>
#include <memory>

namespace callcast::core {

using SteadyClock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  // Monotonic: durations, deadlines, timeouts.
  virtual SteadyClock::time_point now() const = 0;
  // Calendar time: token expiry, nonces, what a human reads.
  virtual WallClock::time_point wall_now() const = 0;
};

// The process's real clock (stateless; one shared instance).
class RealTimeSource final : public TimeSource {
 public:
  SteadyClock::time_point now() const override { return SteadyClock::now(); }
  WallClock::time_point wall_now() const override { return WallClock::now(); }
  static RealTimeSource& instance();
};

// A one-shot timer bound to the thread of the loop that created it: its callback runs there,
// never concurrently with that loop's other work. Destroying it cancels it.
class Timer {
 public:
  virtual ~Timer() = default;
  // (Re)arms the timer: the callback runs once, `delay` from now; an armed timer is re-armed.
  virtual void enable(SteadyClock::duration delay) = 0;
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};

class TimerFactory {
 public:
  virtual ~TimerFactory() = default;
  // Call on the loop's thread; the callback runs on it.
  virtual std::unique_ptr<Timer> create_timer(std::function<void()> callback) = 0;
};

}  // namespace callcast::core
