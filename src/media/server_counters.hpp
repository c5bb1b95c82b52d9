#pragma once
// What the streaming server counts, for operators and tests (StreamingServer::counters()).
#include <cstdint>

namespace callcast::media {

struct ServerCounters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t bad_requests = 0;
  std::uint64_t unauthorized = 0;
  std::uint64_t wrong_channel_packets = 0;
  std::uint64_t malformed_rtp = 0;
  std::uint64_t unknown_udp_datagrams = 0;
  std::uint64_t sessions_timed_out = 0;
  // Requests naming a session they may not use (another terminal's, another role's, a TCP
  // session from another connection): answered 454 as if the id did not exist.
  std::uint64_t foreign_session_requests = 0;
  // Symmetric RTP: viewer destinations learnt from datagrams that came from another port than
  // SETUP said (a NAT), and datagrams that could belong to several viewers (ignored).
  std::uint64_t udp_destinations_latched = 0;
  std::uint64_t udp_latch_ambiguous = 0;
  // Admissions whose token expired before any session used them (issue 11, item 11).
  std::uint64_t admissions_expired = 0;
  // WebRTC viewers (issue 14): STUN checks refused (unknown credentials, bad integrity, not a
  // binding request) and SRTCP that did not authenticate.
  std::uint64_t webrtc_stun_refused = 0;
  std::uint64_t webrtc_srtcp_rejected = 0;
};

}  // namespace callcast::media
