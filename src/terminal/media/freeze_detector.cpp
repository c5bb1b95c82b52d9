#include "terminal/media/freeze_detector.hpp"

namespace callcast::terminal {

void FreezeDetector::frame(std::int64_t now) {
  const std::int64_t last = last_frame_unix_ns_.exchange(now);
  if (last != 0 && now - last > max_gap_ns_.load(std::memory_order_relaxed)) {
    max_gap_ns_.store(now - last, std::memory_order_relaxed);
  }
  const std::int64_t threshold_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kFreezeThreshold).count();
  if (last == 0 || now - last < threshold_ns) return;
  std::lock_guard lock(mutex_);
  if (freezes_.size() < kMaxFreezes)
    freezes_.push_back({last / 1'000'000, (now - last) / 1'000'000});
}

std::chrono::milliseconds FreezeDetector::max_gap() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(max_gap_ns_.load()));
}

std::vector<Freeze> FreezeDetector::freezes() const {
  std::lock_guard lock(mutex_);
  return freezes_;
}

}  // namespace callcast::terminal
