#pragma once
// When a broadcaster tries to get its lost RTSP connection back (issue 10, item 2): attempts
// after 0.2, 0.4, 0.8 s, then every 1.6 s, all within a budget counted from the loss (the
// streaming server's grace period, media.publisher_grace_s). Pure, so the policy is tested
// without a clock.
#include <chrono>
#include <optional>

namespace callcast::terminal {

class ReconnectSchedule {
 public:
  using Duration = std::chrono::milliseconds;
  static constexpr Duration kFirstDelay{200};
  static constexpr Duration kMaxDelay{1600};

  explicit ReconnectSchedule(Duration budget) : budget_(budget) {}

  // How long to wait before the next attempt, given the attempts made since the loss and the
  // time elapsed since it; nullopt once the budget is spent (give up). The last attempt is
  // brought forward so that it starts before the budget ends.
  std::optional<Duration> next_delay(int attempts_made, Duration since_loss) const;
  // How long an attempt that has just started may take before it counts as failed: what is
  // left of the budget, but at least `floor` (an answer in flight is not cut short).
  Duration attempt_timeout(Duration since_loss, Duration floor = Duration(500)) const;

  Duration budget() const { return budget_; }

 private:
  Duration budget_;
};

}  // namespace callcast::terminal
