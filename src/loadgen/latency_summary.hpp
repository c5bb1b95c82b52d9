#pragma once
// The latency figures of one benchmark phase. Percentiles are nearest-rank (the smallest sample
// with at least p% of the samples at or below it): every figure is a latency that happened, and
// p100 is the maximum. With few samples p99 is simply the largest but one or the largest.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace callcast::loadgen {

struct LatencySummary {
  std::size_t samples = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

// All zero for no samples.
LatencySummary summarize_latencies(std::vector<double> samples_ms);

// {"p50":..,"p90":..,"p99":..,"max":..,"mean":..}, in ms rounded to 0.01.
nlohmann::ordered_json to_json(const LatencySummary& summary);

}  // namespace callcast::loadgen
