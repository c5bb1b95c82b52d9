#pragma once
// The sockets under the SIP stack: choosing its port, and its UDP receive buffer.
#include <cstdint>
#include <optional>
#include <string>

namespace callcast::sip {

// A port free for both UDP and TCP on `host`, for "port 0": sofia binds each transport on its
// own, and a terminal must reach both on one port.
std::optional<std::uint16_t> free_port_pair(const std::string& host);

// Widens the receive buffer of this process's UDP sockets bound to `port` (the stack's); returns
// how many it found.
int widen_udp_receive_buffer(std::uint16_t port);

}  // namespace callcast::sip
