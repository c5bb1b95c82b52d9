#pragma once
// callcastd's ready line, the one line it prints on stdout once every listener is bound (ports the
// OS chose included), read by the load generator and the end-to-end tests alike:
//
//   callcastd ready rtsp=127.0.0.1:41234 http=127.0.0.1:40111 rtp=50000-50001 sip=127.0.0.1:45060
//
// http= always; rtsp= and rtp= together for the roles that run media; sip= for the roles that
// run signaling. Hosts are IP literals (IPv6 in brackets); no port is 0.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/result.hpp"

namespace callcast::loadgen {

struct ReadyLine {
  core::HostPort http;
  std::optional<core::HostPort> rtsp;  // media roles
  std::uint16_t rtp_port = 0;          // media roles: the RTP/RTCP pair
  std::uint16_t rtcp_port = 0;
  std::optional<core::HostPort> sip;  // signaling roles
};

// Strict: another first word, an unknown or repeated field, a port 0, or rtsp= without rtp= (or
// the reverse) is an error naming what is wrong; callcastd and its readers change together.
Result<ReadyLine, std::string> parse_ready_line(std::string_view line);

}  // namespace callcast::loadgen
