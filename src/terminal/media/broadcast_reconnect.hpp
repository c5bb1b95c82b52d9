#pragma once
// The state of a broadcast whose RTSP connection broke while streaming (issue 10, item 2): the
// attempts made, since when, what failed last, and the figures the status line shows. It
// decides when to try again and when to give up (ReconnectSchedule); BroadcastPipeline acts
// (stops the pipeline, swaps the sink, arms its timers). Time is given, so the whole sequence is
// tested without a pipeline or a clock.
//
// Main loop thread only.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/time_source.hpp"
#include "terminal/media/reconnect_schedule.hpp"

namespace callcast::terminal {

class BroadcastReconnect {
 public:
  using Duration = std::chrono::milliseconds;

  // `budget`: how long after a loss to keep trying (BroadcastOptions::reconnect_for).
  BroadcastReconnect(Duration budget, const core::TimeSource& time);

  // Whether a loss may be retried at all (a zero budget ends the broadcast at the first loss).
  bool enabled() const { return schedule_.budget().count() > 0; }
  // Between a loss and streaming again (or giving up).
  bool active() const { return active_; }

  // The connection broke (`error`: the sink's text), at first or during an attempt; true when
  // this loss starts the reconnect (the clock starts).
  bool lost(const std::string& error);
  // The attempt under way had no answer within its timeout.
  void attempt_timed_out();
  // The wait before the next attempt, or nullopt: the budget is spent (give up with
  // budget_spent_line()).
  std::optional<Duration> next_delay() const;

  // The next attempt starts now; its number (1, 2...).
  int start_attempt();
  // How long the attempt that has just started may take before it counts as failed.
  Duration attempt_timeout() const;

  struct Outcome {
    Duration outage{};  // from the loss to streaming again
    int attempts = 0;
  };
  // Streaming again: the reconnect is over and counted.
  Outcome reconnected();
  // Giving up (a refusal, or the budget spent): the broadcast ends.
  void abandon() { active_ = false; }

  // "lost the media connection and could not get it back within 5 s (6 attempts; last: ...)"
  // (the caller appends the URL).
  std::string budget_spent_line() const;

  int attempt() const { return attempt_; }
  Duration since_loss() const;
  std::uint64_t reconnects() const { return reconnects_; }
  Duration last_outage() const { return last_outage_; }

 private:
  ReconnectSchedule schedule_;
  const core::TimeSource& time_;
  bool active_ = false;
  int attempt_ = 0;
  core::SteadyClock::time_point lost_at_{};
  std::string last_loss_;  // the latest error, for the line when giving up
  std::uint64_t reconnects_ = 0;
  Duration last_outage_{0};
};

}  // namespace callcast::terminal
