#include "loadgen/latency_summary.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

namespace callcast::loadgen {
namespace {

// Nearest rank: the ceil(p/100 * n)-th smallest sample (1-based). `sorted` is not empty.
double percentile(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double hundredths(double value) {
  return std::round(value * 100.0) / 100.0;
}

}  // namespace

LatencySummary summarize_latencies(std::vector<double> samples_ms) {
  LatencySummary summary;
  if (samples_ms.empty()) return summary;
  std::sort(samples_ms.begin(), samples_ms.end());
  summary.samples = samples_ms.size();
  summary.p50_ms = percentile(samples_ms, 50);
  summary.p90_ms = percentile(samples_ms, 90);
  summary.p99_ms = percentile(samples_ms, 99);
  summary.max_ms = samples_ms.back();
  summary.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) /
                    static_cast<double>(samples_ms.size());
  return summary;
}

nlohmann::ordered_json to_json(const LatencySummary& summary) {
  return {{"p50", hundredths(summary.p50_ms)},
          {"p90", hundredths(summary.p90_ms)},
          {"p99", hundredths(summary.p99_ms)},
          {"max", hundredths(summary.max_ms)},
          {"mean", hundredths(summary.mean_ms)}};
}

}  // namespace callcast::loadgen
