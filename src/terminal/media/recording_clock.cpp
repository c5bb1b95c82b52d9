#include "terminal/media/recording_clock.hpp"

namespace callcast::terminal {

std::optional<std::uint64_t> RecordingClock::stamp(std::optional<std::uint64_t> pts,
                                                   std::optional<std::uint64_t> duration) {
  if (!pts) {
    if (!last_) return std::nullopt;
    ++stamped_;
    catching_up_ = true;
    last_ = *last_ + (duration && *duration > 0 ? *duration : kStepNs);
    return last_;
  }
  if (catching_up_) {
    if (*pts > *last_) {
      catching_up_ = false;
    } else {
      ++moved_;
      last_ = *last_ + kStepNs;
      return last_;
    }
  }
  last_ = pts;
  return pts;
}

}  // namespace callcast::terminal
