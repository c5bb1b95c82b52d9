#pragma once
// A member of an existing counter struct (StreamingServer::Counters, FanoutStats,
// SignalingStats, the snapshots' TrackStats, ...) bound to the series it is exposed as and the
// key the JSON APIs name it by. A struct's table of these is the one place that maps it: its
// JSON object (both ways) and its Prometheus samples are derived from the table
// (counter_fields_json, counter_fields_from_json, expose_fields), so a counter added to the
// struct and the table shows up in all of them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "stats/exposition.hpp"
#include "stats/metric.hpp"

namespace callcast::stats {

template <class Struct>
struct CounterField {
  // nullptr: a JSON-only counter (per group or viewer in the snapshots; a series per group would
  // multiply the scrape by the audience).
  const Metric* metric;
  // The value of the metric's single label for this member ("" when the metric has none):
  // several members can be one family, e.g. malformed input by kind.
  std::string_view label_value;
  std::string_view json_key;
  std::uint64_t Struct::*member;
  // Added after the first release: a reader takes 0 when an older writer left it out.
  bool may_be_absent = false;
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

// Reads back what counter_fields_json wrote. Throws nlohmann::json::exception when a member that
// may not be absent is missing or not a number.
template <class Struct>
void counter_fields_from_json(std::span<const CounterField<Struct>> fields,
                              const nlohmann::json& object, Struct& values) {
  for (const CounterField<Struct>& field : fields) {
    const std::string key(field.json_key);
    if (field.may_be_absent) {
      values.*(field.member) = object.value(key, std::uint64_t{0});
    } else {
      object.at(key).get_to(values.*(field.member));
    }
  }
}

// The table's series; JSON-only fields are left out.
template <class Struct>
void expose_fields(Exposition& out, std::span<const CounterField<Struct>> fields,
                   const Struct& values) {
  for (const CounterField<Struct>& field : fields) {
    if (field.metric == nullptr) continue;
    const auto value = static_cast<double>(values.*(field.member));
    if (field.metric->labels.empty()) {
      out.add(*field.metric, value);
    } else {
      out.add(*field.metric, {field.label_value}, value);
    }
  }
}

}  // namespace callcast::stats
