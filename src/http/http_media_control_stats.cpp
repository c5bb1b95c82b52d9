// HttpMediaControlStats bound to its series (the signaling role's client of the media role).
#include <array>

#include "http/http_media_control.hpp"
#include "stats/catalog.hpp"
#include "stats/counter_field.hpp"

namespace callcast::http {

namespace {

using Stats = HttpMediaControlStats;

constexpr std::array<stats::CounterField<Stats>, 5> kClientCounters{{
    {&stats::kMediaApiRequests, "", "requests", &Stats::requests},
    {&stats::kMediaApiUnreachable, "", "unreachable", &Stats::unreachable},
    {&stats::kMediaApiEvents, "", "events", &Stats::events},
    {&stats::kMediaApiResyncs, "", "resyncs", &Stats::resyncs},
    {&stats::kMediaApiOutages, "", "outages", &Stats::outages},
}};

}  // namespace

void expose_metrics(stats::Exposition& out, const HttpMediaControlStats& values) {
  stats::expose_fields<Stats>(out, kClientCounters, values);
}

}  // namespace callcast::http
