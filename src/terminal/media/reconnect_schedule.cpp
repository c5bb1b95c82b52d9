#include "terminal/media/reconnect_schedule.hpp"

#include <algorithm>

namespace callcast::terminal {

std::optional<ReconnectSchedule::Duration> ReconnectSchedule::next_delay(
    int attempts_made, Duration since_loss) const {
  if (since_loss >= budget_) return std::nullopt;
  const int doublings = std::clamp(attempts_made, 0, 3);
  const Duration nominal = std::min(kFirstDelay * (1 << doublings), kMaxDelay);
  return std::min(nominal, budget_ - since_loss);
}

ReconnectSchedule::Duration ReconnectSchedule::attempt_timeout(Duration since_loss,
                                                               Duration floor) const {
  return std::max(budget_ - since_loss, floor);
}

}  // namespace callcast::terminal
