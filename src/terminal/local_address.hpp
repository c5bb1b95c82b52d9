#pragma once
// Which local address a terminal's SIP user agent binds and advertises (Contact, SDP c=).
//
// A terminal on another host than the network side must not bind loopback: it binds the local
// address that the kernel's routing table picks toward the server. That address is found by
// connecting a UDP socket to the server (connect(2) on UDP sends no packet, it only chooses the
// route and the source address) and reading it back with getsockname(2). Works for IPv4, IPv6
// and names (resolved with getaddrinfo, the first address that routes wins).
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace callcast::terminal {

// The numeric local address ("192.0.2.10", "::1") the kernel would send from toward
// `host`:`port`. Fails with a line naming the host when it does not resolve or has no route.
Result<std::string, std::string> local_address_toward(const std::string& host, std::uint16_t port);

// Whether `host`:`port` (a numeric address of this machine, port 0 = any) can be bound for the
// given transport ("udp" or "tcp"): a check before anything starts, so that a --bind naming an
// address of another machine, a wildcard or a busy port fails with one clear line.
Result<bool, std::string> check_bindable(const std::string& host, std::uint16_t port,
                                         const std::string& transport);

}  // namespace callcast::terminal
