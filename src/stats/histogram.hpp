#pragma once
// The observations of one histogram series (Prometheus buckets, sum and count). Owned by one
// thread, like the plain counters beside it: observe() is a bucket search and three adds, no
// atomic and no lock, and the owner reads it when a scrape asks on that same thread.
#include <cstdint>
#include <span>
#include <vector>

#include "stats/metric.hpp"

namespace callcast::stats {

class Histogram {
 public:
  // The buckets are the metric's: the same bounds for every series of the family.
  explicit Histogram(const Metric& metric);

  void observe(double value);

  std::span<const double> bounds() const { return bounds_; }
  // Per bucket, not cumulative: counts()[i] observations fell in (bounds[i-1], bounds[i]]; the
  // last entry (one past the bounds) holds those above every bound.
  std::span<const std::uint64_t> counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::span<const double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace callcast::stats
