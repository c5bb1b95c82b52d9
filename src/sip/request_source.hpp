#pragma once
// Where a request's terminal is, from the request's Via headers (RFC 3261 §18.2.1, RFC 3581):
// the top Via is the last hop's, and the stack that received the request wrote there where the
// packet came from (received= when it differs from the Via's host). Through a proxy (Kamailio in
// front of the signaling nodes, issue 15) the last hop is the proxy, and the terminal's own Via
// is below the proxy's, where the proxy wrote where the terminal's packet came from. Only a
// proxy configured as trusted is read that way: anyone else could put any Via below its own.
#include <string>
#include <vector>

namespace callcast::sip {

struct ViaHop {
  std::string host;      // the Via's sent-by host ("[...]" around an IPv6 literal allowed)
  std::string received;  // its received parameter; empty when absent
};

struct RequestSource {
  std::string address;      // where the terminal's packets come from; empty when unknown
  bool behind_nat = false;  // its Via's received differs from its host
  bool via_proxy = false;   // read below a trusted proxy's Via
};

// `vias`: top first. `trusted_proxies`: IP address literals (sip.trusted_proxies). While the hop
// read so far came from a trusted proxy and a Via lies below it, the one below is read instead.
RequestSource request_source(const std::vector<ViaHop>& vias,
                             const std::vector<std::string>& trusted_proxies);

}  // namespace callcast::sip
