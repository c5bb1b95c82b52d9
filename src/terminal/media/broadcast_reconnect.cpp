#include "terminal/media/broadcast_reconnect.hpp"

#include <cstdio>

namespace callcast::terminal {

BroadcastReconnect::BroadcastReconnect(Duration budget, const core::TimeSource& time)
    : schedule_(budget), time_(time) {}

bool BroadcastReconnect::lost(const std::string& error) {
  const bool first = !active_;
  if (first) {
    active_ = true;
    attempt_ = 0;
    lost_at_ = time_.now();
  }
  last_loss_ = error;
  return first;
}

void BroadcastReconnect::attempt_timed_out() {
  last_loss_ = "no answer from the media server";
}

std::optional<BroadcastReconnect::Duration> BroadcastReconnect::next_delay() const {
  return schedule_.next_delay(attempt_, since_loss());
}

int BroadcastReconnect::start_attempt() {
  return ++attempt_;
}

BroadcastReconnect::Duration BroadcastReconnect::attempt_timeout() const {
  return schedule_.attempt_timeout(since_loss());
}

BroadcastReconnect::Outcome BroadcastReconnect::reconnected() {
  active_ = false;
  ++reconnects_;
  last_outage_ = since_loss();
  return {last_outage_, attempt_};
}

std::string BroadcastReconnect::budget_spent_line() const {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g",
                static_cast<double>(schedule_.budget().count()) / 1000.0);
  return "lost the media connection and could not get it back within " + std::string(seconds) +
         " s (" + std::to_string(attempt_) + " attempts; last: " + last_loss_ + ")";
}

BroadcastReconnect::Duration BroadcastReconnect::since_loss() const {
  return std::chrono::duration_cast<Duration>(time_.now() - lost_at_);
}

}  // namespace callcast::terminal
