#include "core/public_host.hpp"

#include <algorithm>
#include <charconv>

namespace callcast::core {

namespace {

bool is_ipv6_literal(std::string_view host) {
  return host.find(':') != std::string_view::npos;
}

// The first octet of a dotted IPv4 literal, or nullopt when `host` is not one.
std::optional<int> first_octet(std::string_view host) {
  const auto dot = host.find('.');
  if (dot == std::string_view::npos || is_ipv6_literal(host)) return std::nullopt;
  int value = -1;
  const auto [end, ec] = std::from_chars(host.data(), host.data() + dot, value);
  if (ec != std::errc() || end != host.data() + dot || value < 0 || value > 255) {
    return std::nullopt;
  }
  return value;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_link_local_ipv6(std::string_view host) {
  return lowercase(host.substr(0, 4)) == "fe80";
}

}  // namespace

bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]" ||
         host == "0:0:0:0:0:0:0:0";
}

bool is_loopback_host(std::string_view host) {
  if (lowercase(host) == "localhost" || host == "::1" || host == "[::1]") return true;
  const auto octet = first_octet(host);
  return octet && *octet == 127;
}

bool is_unusable_as_destination(std::string_view host) {
  if (is_wildcard_host(host) || host == "255.255.255.255") return true;
  if (const auto octet = first_octet(host)) return *octet >= 224;        // multicast, reserved
  return is_ipv6_literal(host) && lowercase(host.substr(0, 2)) == "ff";  // IPv6 multicast
}

Result<PublicHostChoice, std::string> choose_public_host(
    const MediaConfig& media, const std::vector<LocalAddress>& addresses,
    const std::optional<std::string>& default_route_source) {
  const std::string& listen = media.rtsp.host;
  if (!media.public_host.empty()) {
    const std::string& host = media.public_host;
    if (is_unusable_as_destination(host)) {
      return fail("media.public_host " + host +
                  " is not an address a terminal can connect to (a wildcard, multicast or "
                  "broadcast address): set the address terminals reach this server at");
    }
    if (is_loopback_host(host) && !is_loopback_host(listen)) {
      return fail("media.public_host " + host +
                  " is a loopback address while media.rtsp listens on " + listen +
                  ": terminals on other hosts would be sent to themselves; set the "
                  "address they reach this server at (or listen on 127.0.0.1)");
    }
    return PublicHostChoice{host, "media.public_host"};
  }
  if (!is_wildcard_host(listen)) return PublicHostChoice{listen, "the RTSP listen address"};

  // Every interface: one address must stand for all of them.
  const bool want_ipv6 = is_ipv6_literal(listen);
  std::vector<std::string> candidates;
  for (const auto& local : addresses) {
    if (local.loopback || is_loopback_host(local.address)) continue;
    if (is_ipv6_literal(local.address) != want_ipv6) continue;
    if (want_ipv6 && is_link_local_ipv6(local.address)) continue;
    if (std::find(candidates.begin(), candidates.end(), local.address) == candidates.end()) {
      candidates.push_back(local.address);
    }
  }
  if (default_route_source &&
      std::find(candidates.begin(), candidates.end(), *default_route_source) != candidates.end()) {
    return PublicHostChoice{*default_route_source,
                            "the address toward the default route (media.public_host not set)"};
  }
  if (candidates.size() == 1) {
    return PublicHostChoice{candidates.front(),
                            "the only non-loopback address (media.public_host not set)"};
  }
  if (candidates.empty()) {
    return PublicHostChoice{want_ipv6 ? "::1" : "127.0.0.1",
                            "no other address is up: only terminals on this host can connect"};
  }
  std::string list;
  for (const auto& candidate : candidates)
    list += (list.empty() ? "" : ", ") + candidate;
  return fail("media.rtsp listens on every interface and this host has several addresses (" + list +
              ") and no default route to choose by: set media.public_host (--public-host) "
              "to the one terminals reach this server at");
}

}  // namespace callcast::core
