// SignalingStats bound to its series and to the "counters" object of GET /v1/signaling.
#include "sip/signaling_stats.hpp"

#include <array>

#include "stats/catalog.hpp"
#include "stats/counter_field.hpp"

namespace callcast::sip {

namespace {

using Stats = SignalingStats;

constexpr std::array<stats::CounterField<Stats>, 5> kSignalingCounters{{
    {&stats::kSipInvites, "", "invites", &Stats::invites},
    {&stats::kSipRegisters, "", "registers", &Stats::registers},
    {&stats::kSipAuthChallenges, "", "auth_challenges", &Stats::auth_challenges},
    {&stats::kSipAuthFailures, "", "auth_failures", &Stats::auth_failures},
    {&stats::kSipRejectedOverCap, "", "rejected_over_cap", &Stats::rejected_over_cap},
}};

}  // namespace

nlohmann::json counters_json(const SignalingStats& values) {
  return stats::counter_fields_json<Stats>(kSignalingCounters, values);
}

void expose_metrics(stats::Exposition& out, const SignalingStats& values) {
  out.add(stats::kSipCalls, {"service"}, static_cast<double>(values.broadcasts));
  out.add(stats::kSipCalls, {"viewer"}, static_cast<double>(values.viewer_calls));
  out.add(stats::kSipRegistrations, static_cast<double>(values.registrations));
  out.add(stats::kSipRegisteredUsers, static_cast<double>(values.registered_users));
  stats::expose_fields<Stats>(out, kSignalingCounters, values);
  values.metrics.expose(out);
}

}  // namespace callcast::sip
