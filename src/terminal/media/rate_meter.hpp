#pragma once
// A rate over the last sampling period from a running total (bytes, frames) that streaming
// threads count up: the status line's kbit/s and fps. Sampled by a periodic timer on the main
// loop; pure, so the arithmetic is tested without one.
#include <chrono>
#include <cstdint>

namespace callcast::terminal {

class RateMeter {
 public:
  explicit RateMeter(std::chrono::milliseconds period) : period_(period) {}

  // Per second, how much `total` grew since the previous sample (the first: since 0), taking
  // the samples to be one period apart.
  double sample(std::uint64_t total);

 private:
  std::chrono::milliseconds period_;
  std::uint64_t last_total_ = 0;
};

// Bytes per second as kbit/s.
inline double kbit_per_s(double bytes_per_s) {
  return bytes_per_s * 8.0 / 1000.0;
}

}  // namespace callcast::terminal
