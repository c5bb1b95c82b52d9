#include "stats/histogram.hpp"

#include <algorithm>
#include <cassert>

namespace callcast::stats {

Histogram::Histogram(const Metric& metric)
    : bounds_(metric.buckets), counts_(metric.buckets.size() + 1, 0) {
  assert(metric.kind == Kind::histogram);
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void Histogram::observe(double value) {
  // Prometheus buckets are upper-inclusive (le): the first bound >= value.
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[static_cast<std::size_t>(bucket)];
  sum_ += value;
  ++count_;
}

}  // namespace callcast::stats
