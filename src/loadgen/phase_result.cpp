#include "loadgen/phase_result.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace callcast::loadgen {

double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

nlohmann::ordered_json to_json(const PhaseResult& result) {
  nlohmann::ordered_json json = {{"bench", "sip"},
                                 {"phase", result.phase},
                                 {"transport", result.transport},
                                 {"concurrency", result.concurrency},
                                 {"calls", result.calls},
                                 {"ok", result.ok},
                                 {"failed", result.failed},
                                 {"outcomes", result.outcomes},
                                 {"wall_s", round_to(result.wall_s, 3)},
                                 {"setups_per_s", round_to(result.setups_per_s, 1)},
                                 {"latency_ms", to_json(result.latency)}};
  if (result.progress) json["progress_ms"] = to_json(*result.progress);
  json["server_cpu_pct"] =
      result.server_cpu_pct ? nlohmann::ordered_json(round_to(*result.server_cpu_pct, 1)) : nullptr;
  json["server_rss_kib"] =
      result.server_rss_kib ? nlohmann::ordered_json(*result.server_rss_kib) : nullptr;
  if (!result.watched_cpu_pct.empty()) {
    nlohmann::ordered_json watched = nlohmann::ordered_json::object();
    for (const auto& [name, pct] : result.watched_cpu_pct)
      watched[name] = round_to(pct, 1);
    json["cpu_pct"] = watched;
  }
  if (result.bench_cpu_pct) json["bench_cpu_pct"] = round_to(*result.bench_cpu_pct, 1);
  if (!result.core_busy_pct.empty()) {
    nlohmann::ordered_json cores = nlohmann::ordered_json::object();
    for (const auto& [cpu, pct] : result.core_busy_pct)
      cores[std::to_string(cpu)] = round_to(pct, 1);
    json["core_busy_pct"] = cores;
  }
  if (!result.errors.empty()) json["errors"] = result.errors;
  return json;
}

}  // namespace callcast::loadgen
