#pragma once
// Listen addresses and port pairs as operators write them in flags and the config file.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::core {

struct HostPort {
  std::string host;  // IPv4 literal, IPv6 literal without brackets, or a name
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};
// "127.0.0.1:8554", "[::1]:8554", "localhost:8554". Port 0 allowed (the OS chooses).
Result<HostPort, std::string> parse_host_port(std::string_view text);
std::string to_string(const HostPort& address);  // brackets IPv6 literals

// The server's RTP/RTCP UDP ports: "8000-8001"; rtcp must be rtp + 1. "0-0" lets the OS choose.
struct PortPair {
  std::uint16_t rtp = 0;
  std::uint16_t rtcp = 0;
  bool operator==(const PortPair&) const = default;
};
Result<PortPair, std::string> parse_port_pair(std::string_view text);
std::string to_string(const PortPair& ports);  // "8000-8001"

// Names and IPv4 literals: letters, digits, '.', '-', '_'. Resolving is not this layer's job;
// this only keeps spaces, slashes and the like out of addresses that end up in URLs.
bool is_valid_host(std::string_view host);
// IPv6 literals: hex digits, ':' and '.' (embedded IPv4), optionally "%zone".
bool is_valid_ipv6_host(std::string_view host);

// `text` between double quotes, for error messages.
std::string in_quotes(std::string_view text);

}  // namespace callcast::core
