#pragma once
// The addresses of this host's interfaces and the one the kernel would use toward the default
// route: what core::choose_public_host needs to pick an address terminals can reach.
#include <optional>
#include <string>
#include <vector>

#include "core/public_host.hpp"

namespace callcast::media {

// Every IPv4/IPv6 address of an interface that is up (getifaddrs).
std::vector<core::LocalAddress> local_addresses();
// The local address of a UDP socket connected toward the default route (no packet is sent), or
// nullopt when there is no default route for that family.
std::optional<std::string> default_route_source(bool ipv6);
// core::choose_public_host over this host's addresses.
Result<core::PublicHostChoice, std::string> resolve_public_host(const core::MediaConfig& media);

}  // namespace callcast::media
