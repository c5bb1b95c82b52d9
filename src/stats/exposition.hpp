#pragma once
// The Prometheus text exposition (format 0.0.4, served as `text/plain; version=0.0.4`):
//
//   # HELP callcast_groups Temporary groups by state.
//   # TYPE callcast_groups gauge
//   callcast_groups{state="live"} 2
//   # TYPE callcast_viewer_join_seconds histogram
//   callcast_viewer_join_seconds_bucket{le="0.1"} 3
//   ...
//   callcast_viewer_join_seconds_bucket{le="+Inf"} 4
//   callcast_viewer_join_seconds_sum 0.42
//   callcast_viewer_join_seconds_count 4
//
// Samples are gathered per family (HELP and TYPE once each, its samples together, families in
// the order they were first added), whatever order the sources add them in. Built at scrape
// time, off the packet path.
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "stats/histogram.hpp"
#include "stats/metric.hpp"

namespace callcast::stats {

class Exposition {
 public:
  using Labels = std::initializer_list<std::string_view>;

  // A counter or gauge sample; `label_values` in the order of metric.labels (as many).
  void add(const Metric& metric, Labels label_values, double value);
  void add(const Metric& metric, double value) { add(metric, {}, value); }
  // A histogram series: its buckets (cumulative, with +Inf), _sum and _count.
  void add(const Metric& metric, Labels label_values, const Histogram& histogram);
  void add(const Metric& metric, const Histogram& histogram) { add(metric, {}, histogram); }
  // HELP and TYPE without a sample yet, so a family with no series (no group, no viewer) is
  // still listed.
  void declare(const Metric& metric);
  // Appends the families of `other` (a part gathered on another thread), merging equal names.
  void append(const Exposition& other);

  std::string text() const;

  // Label values: backslash, double quote and line feed escaped (\\, \", \n).
  static std::string escape_label_value(std::string_view value);
  // HELP text: backslash and line feed escaped.
  static std::string escape_help(std::string_view help);
  // A sample value or bound as Prometheus reads it: integers without a fraction, +Inf, -Inf, NaN.
  static std::string format_value(double value);

 private:
  struct Family {
    const Metric* metric;
    std::string samples;
  };
  Family& family(const Metric& metric);
  void sample_line(std::string& out, std::string_view name, const Metric& metric,
                   Labels label_values, std::string_view extra_label, std::string_view extra_value,
                   double value) const;

  std::vector<Family> families_;
};

}  // namespace callcast::stats
