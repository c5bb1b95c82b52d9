#include "sip/sip_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <system_error>

namespace callcast::sip {

// A port free for both UDP and TCP on `host`, for "port 0": sofia binds each transport on its
// own, and a terminal must reach both on one port.
std::optional<std::uint16_t> free_port_pair(const std::string& host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return std::nullopt;
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a->sin_addr) != 1)
      return std::nullopt;
    length = sizeof *a;
  }
  auto set_port = [&](std::uint16_t port) {
    if (storage.ss_family == AF_INET6) {
      reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
    } else {
      reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    }
  };
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int tcp = ::socket(storage.ss_family, SOCK_STREAM, 0);
    set_port(0);
    if (tcp < 0 || ::bind(tcp, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      if (tcp >= 0) ::close(tcp);
      return std::nullopt;
    }
    sockaddr_storage got{};
    socklen_t got_length = sizeof got;
    ::getsockname(tcp, reinterpret_cast<sockaddr*>(&got), &got_length);
    const std::uint16_t port =
        ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
    const int udp = ::socket(storage.ss_family, SOCK_DGRAM, 0);
    set_port(port);
    const bool ok = udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&storage), length) == 0;
    if (udp >= 0) ::close(udp);
    ::close(tcp);
    if (ok) return port;
  }
  return std::nullopt;
}

// sofia-sip leaves its UDP socket at the kernel's default receive buffer (about 208 KiB): a
// burst of requests (many terminals calling or re-registering at once) overflows it in the
// kernel, and every datagram lost there costs its sender a 500 ms retransmission. Widen the
// buffer of the UDP socket bound to our SIP port; SO_RCVBUFFORCE passes net.core.rmem_max when
// the process may (CAP_NET_ADMIN), else the kernel caps SO_RCVBUF there.
constexpr int kSipUdpReceiveBuffer = 4 * 1024 * 1024;

int widen_udp_receive_buffer(std::uint16_t port) {
  int widened = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    int type = 0;
    socklen_t type_length = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_DGRAM) {
      continue;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) continue;
    const std::uint16_t bound =
        ntohs(address.ss_family == AF_INET6  ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
              : address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                             : 0);
    if (bound != port) continue;
    const int bytes = kSipUdpReceiveBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    ++widened;
  }
  return widened;
}

}  // namespace callcast::sip
