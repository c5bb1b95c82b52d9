#include "terminal/media/rate_meter.hpp"

namespace callcast::terminal {

double RateMeter::sample(std::uint64_t total) {
  const double seconds = static_cast<double>(period_.count()) / 1000.0;
  const double rate = static_cast<double>(total - last_total_) / seconds;
  last_total_ = total;
  return rate;
}

}  // namespace callcast::terminal
