#pragma once
// The declaration of one series family: everything the JSON snapshots, the Prometheus
// exposition and the README say about a stat comes from here, so a stat is named and explained
// once (catalog.hpp lists them all).
//
// Naming follows Prometheus practice: `callcast_` prefix, base units (`_seconds`, `_bytes`) and
// `_total` on counters; `unit` repeats the unit suffix so a test can check the name carries it.
#include <span>
#include <string_view>

namespace callcast::stats {

enum class Kind { counter, gauge, histogram };

// "counter", "gauge", "histogram": the word of a `# TYPE` line.
constexpr std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::counter:
      return "counter";
    case Kind::gauge:
      return "gauge";
    case Kind::histogram:
      return "histogram";
  }
  return "untyped";
}

struct Metric {
  std::string_view name;  // e.g. "callcast_media_received_packets_total"
  Kind kind = Kind::counter;
  std::string_view help;
  std::string_view unit;                       // "seconds", "bytes" or "" (a count)
  std::span<const std::string_view> labels{};  // label names, in the order samples give values
  std::span<const double> buckets{};           // histograms: upper bounds, ascending; +Inf implied
};

}  // namespace callcast::stats
