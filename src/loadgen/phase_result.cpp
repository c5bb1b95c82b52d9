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
  if (!result.errors.empty()) json["errors"] = result.errors;
  return json;
}

}  // namespace callcast::loadgen
