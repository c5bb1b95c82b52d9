#pragma once
// The figures of one benchmark phase and their JSON line, e.g.
//
//   {"bench":"sip","phase":"viewer_calls","transport":"udp","calls":200,"ok":200,"failed":0,
//    "outcomes":{"200":200},"concurrency":50,"wall_s":0.91,"setups_per_s":219.8,
//    "latency_ms":{"p50":..,"p90":..,"p99":..,"max":..,"mean":..},
//    "server_cpu_pct":63.5,"server_rss_kib":20480}
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/latency_summary.hpp"

namespace callcast::loadgen {

struct PhaseResult {
  std::string phase;  // "master_calls", "viewer_calls"
  std::string transport;
  std::size_t concurrency = 0;
  std::size_t calls = 0;
  std::size_t ok = 0;  // answered with 200 within the timeout
  std::size_t failed = 0;
  std::map<std::string, std::size_t> outcomes;  // "200", "486", "timeout"... -> calls
  std::vector<std::string> errors;              // the first few failures, described
  double wall_s = 0;                            // first INVITE sent -> last call settled
  double setups_per_s = 0;                      // ok / wall_s
  LatencySummary latency;                  // INVITE sent -> 200 OK received, answered calls only
  std::optional<LatencySummary> progress;  // INVITE -> 183 (master calls only)
  std::optional<double> server_cpu_pct;    // over wall_s; nullopt when the server is not ours
  std::optional<std::uint64_t> server_rss_kib;  // at the end of the phase
  // --watch-pid processes (name -> % of one core over wall_s), the bench's own CPU and every
  // core's busy share: what limited the phase when the server is several processes.
  std::map<std::string, double> watched_cpu_pct;
  std::optional<double> bench_cpu_pct;
  std::map<int, double> core_busy_pct;
};

nlohmann::ordered_json to_json(const PhaseResult& result);

// `value` rounded to `decimals` places, for figures printed in JSON.
double round_to(double value, int decimals);

}  // namespace callcast::loadgen
