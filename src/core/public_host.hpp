#pragma once
// Which host callcastd writes into the RTSP URLs and SDP it hands out (704, 713): an address the
// terminals can reach. A listener on a specific address hands out that address; a listener on
// every interface (0.0.0.0, ::) hands out the host's address toward the default route, or its
// only non-loopback address; a configured media.public_host is taken as given, once checked.
// A configuration that would hand out an address no other host can reach is refused at start,
// with the reason, rather than discovered by a viewer's player timing out.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"

namespace callcast::core {

// One address of a local interface that is up.
struct LocalAddress {
  std::string interface;  // "eth0"
  std::string address;    // literal, IPv6 without brackets or zone
  bool loopback = false;
};

struct PublicHostChoice {
  std::string host;
  std::string reason;  // for the start-up log: why this one
};

bool is_wildcard_host(std::string_view host);            // 0.0.0.0, ::, empty
bool is_loopback_host(std::string_view host);            // 127.0.0.0/8, ::1, localhost
bool is_unusable_as_destination(std::string_view host);  // wildcard, multicast, broadcast

// `addresses`: the host's interface addresses; `default_route_source`: the local address the
// kernel would use toward the default route (nullopt when there is none).
Result<PublicHostChoice, std::string> choose_public_host(
    const MediaConfig& media, const std::vector<LocalAddress>& addresses,
    const std::optional<std::string>& default_route_source);

}  // namespace callcast::core
