#pragma once
// The figures of `callcast-bench sip --churn-rounds R`: R rounds of calls (masters and viewers
// set up, then all hung up) against ONE callcastd, its resident memory sampled after each round
// once the server is idle again. A server that runs for months must come back to the same
// memory after every call: RSS after the first R/2 rounds (N calls, the first round being the
// warm-up that fills pools and caches) against RSS after all R rounds (2N calls), e.g.
//
//   {"bench":"sip","phase":"churn","rounds":6,"calls_per_round":2200,"n_calls":6600,
//    "rss_start_kb":9000,"rss_after_n_kb":30000,"rss_after_2n_kb":30300,"growth_pct":1.0,
//    "growth_per_call_b":0.05,"rss_by_round_kb":[...],...}
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

namespace callcast::loadgen {

class ChurnReport {
 public:
  // `rss_start_kb`: the server's RSS before the first round (nullopt: unknown).
  ChurnReport(std::size_t rounds, std::size_t calls_per_round,
              std::optional<std::uint64_t> rss_start_kb);

  // Round k (in order) ended with the server at `rss_kb` (nullopt: could not be read).
  void add_round(std::optional<std::uint64_t> rss_kb);

  std::size_t rounds() const { return rounds_; }
  std::size_t rounds_done() const { return rss_by_round_.size(); }
  // After rounds() / 2 rounds (rounded up) and after all of them; nullopt until then or when a
  // sample is missing.
  std::optional<std::uint64_t> rss_after_n_kb() const;
  std::optional<std::uint64_t> rss_after_2n_kb() const;
  // (after 2N - after N) / after N, in %; nullopt while either is unknown.
  std::optional<double> growth_pct() const;
  // The same growth in bytes per call of the second half: what a leak costs per call.
  std::optional<double> growth_per_call_bytes() const;

  // The fields above as JSON (null where unknown), with `rss_by_round_kb`.
  void write(nlohmann::ordered_json& out) const;

 private:
  std::optional<std::uint64_t> after_round(std::size_t round) const;  // 1-based
  std::size_t half() const { return (rounds_ + 1) / 2; }

  std::size_t rounds_;
  std::size_t calls_per_round_;
  std::optional<std::uint64_t> rss_start_kb_;
  std::vector<std::optional<std::uint64_t>> rss_by_round_;
};

}  // namespace callcast::loadgen
