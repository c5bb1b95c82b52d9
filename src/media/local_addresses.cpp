#include "media/local_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace callcast::media {

namespace {

std::optional<std::string> to_text(const sockaddr* address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    if (inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size())) return text.data();
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text.data(), text.size())) return text.data();
  }
  return std::nullopt;
}

}  // namespace

std::vector<core::LocalAddress> local_addresses() {
  std::vector<core::LocalAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* it = list; it; it = it->ifa_next) {
    if (!it->ifa_addr || !(it->ifa_flags & IFF_UP)) continue;
    auto text = to_text(it->ifa_addr);
    if (!text) continue;
    out.push_back({it->ifa_name, *text, (it->ifa_flags & IFF_LOOPBACK) != 0});
  }
  freeifaddrs(list);
  return out;
}

std::optional<std::string> default_route_source(bool ipv6) {
  // Documentation prefixes (RFC 5737, RFC 3849): only the routing table is consulted.
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_storage target{};
  socklen_t length = 0;
  if (ipv6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&target);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(9);
    inet_pton(AF_INET6, "2001:db8::1", &in6->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&target);
    in->sin_family = AF_INET;
    in->sin_port = htons(9);
    inet_pton(AF_INET, "198.51.100.1", &in->sin_addr);
    length = sizeof(sockaddr_in);
  }
  std::optional<std::string> source;
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&target), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0) {
    source = to_text(reinterpret_cast<sockaddr*>(&local));
  }
  ::close(fd);
  return source;
}

Result<core::PublicHostChoice, std::string> resolve_public_host(const core::MediaConfig& media) {
  const bool ipv6 = media.rtsp.host.find(':') != std::string::npos;
  return core::choose_public_host(media, local_addresses(), default_route_source(ipv6));
}

}  // namespace callcast::media
