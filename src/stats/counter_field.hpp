#pragma once
// A member of an existing counter struct (StreamingServer::Counters, FanoutStats,
// SignalingStats, ...) bound to the series it is exposed as and the key the JSON APIs name it
// by. A struct's table of these is the one place that maps it: its JSON object and its
// Prometheus samples are both derived from the table (counter_fields_json, expose_fields), so a
// counter added to the struct and the table shows up in both.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "stats/exposition.hpp"
#include "stats/metric.hpp"

namespace callcast::stats {

template <class Struct>
struct CounterField {
  const Metric* metric;
  // The value of the metric's single label for this member ("" when the metric has none):
  // several members can be one family, e.g. malformed input by kind.
  std::string_view label_value;
  std::string_view json_key;
  std::uint64_t Struct::*member;
};

// {"json_key": value, ...} in the table's order.
template <class Struct>
nlohmann::json counter_fields_json(std::span<const CounterField<Struct>> fields,
                                   const Struct& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const CounterField<Struct>& field : fields) {
    object[std::string(field.json_key)] = values.*(field.member);
  }
  return object;
}

template <class Struct>
void expose_fields(Exposition& out, std::span<const CounterField<Struct>> fields,
                   const Struct& values) {
  for (const CounterField<Struct>& field : fields) {
    const auto value = static_cast<double>(values.*(field.member));
    if (field.metric->labels.empty()) {
      out.add(*field.metric, value);
    } else {
      out.add(*field.metric, {field.label_value}, value);
    }
  }
}

}  // namespace callcast::stats
