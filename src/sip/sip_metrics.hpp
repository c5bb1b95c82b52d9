#pragma once
// The network side's observations for GET /metrics that its plain counters (SignalingStats)
// cannot hold: final responses to INVITEs by kind and status, and set-up times. Lives on the SIP
// thread with the rest of the network side's state, so every update is a plain add; a scrape
// reads a copy taken on that thread (NetworkSide::stats). CallController and
// RequestAuthenticator count into it.
#include <chrono>
#include <cstdint>
#include <map>
#include <utility>

#include "stats/exposition.hpp"
#include "stats/histogram.hpp"

namespace callcast::sip {

class SipMetrics {
 public:
  // service: a master calling the service number (701); viewer: a call forwarded into a group
  // (710); unclassified: refused before the dialled number was looked at (auth, limits, syntax).
  enum class InviteKind { service, viewer, unclassified };

  SipMetrics();

  // A final response (>= 200) to an INVITE of `kind`; provisional ones are ignored.
  void invite_answered(InviteKind kind, int status);
  // A 200 OK after `took` since its INVITE arrived.
  void call_set_up(InviteKind kind, std::chrono::steady_clock::duration took);

  std::uint64_t answered(InviteKind kind, int status) const;
  const stats::Histogram& setup_times(InviteKind kind) const;
  void expose(stats::Exposition& out) const;

 private:
  std::map<std::pair<InviteKind, int>, std::uint64_t> finals_;
  stats::Histogram setup_service_;
  stats::Histogram setup_viewer_;
};

}  // namespace callcast::sip
