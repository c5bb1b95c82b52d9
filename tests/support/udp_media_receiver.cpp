#include "support/udp_media_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace callcast::test {

namespace {

int bind_udp(const in_addr& address, std::uint16_t port, std::uint16_t* bound) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  // Room for a whole GOP burst from the server's cache without kernel drops.
  const int buffer = 4 * 1024 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr = address;
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  if (bound) *bound = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

UdpMediaReceiver::UdpMediaReceiver(const std::string& host) {
  in_addr address{};
  if (::inet_pton(AF_INET, host.c_str(), &address) != 1) {
    error_ = "not an IPv4 address: " + host;
    return;
  }
  // Let the OS pick a port, then try to take its odd neighbour; retry on a collision.
  for (int attempt = 0; attempt < 200; ++attempt) {
    std::uint16_t port = 0;
    const int probe = bind_udp(address, 0, &port);
    if (probe < 0) continue;
    if (port % 2 != 0 || port == 65534) {
      ::close(probe);
      continue;
    }
    const int rtcp = bind_udp(address, static_cast<std::uint16_t>(port + 1), nullptr);
    if (rtcp < 0) {
      ::close(probe);
      continue;
    }
    rtp_fd_ = probe;
    rtcp_fd_ = rtcp;
    rtp_port_ = port;
    return;
  }
  error_ = "no free even/odd UDP port pair found";
}

UdpMediaReceiver::~UdpMediaReceiver() {
  if (rtp_fd_ >= 0) ::close(rtp_fd_);
  if (rtcp_fd_ >= 0) ::close(rtcp_fd_);
}

std::optional<UdpMediaReceiver::Datagram> UdpMediaReceiver::receive(int fd, Duration timeout) {
  if (fd < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    Datagram datagram(65536);
    const ssize_t got = ::recv(fd, datagram.data(), datagram.size(), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    // ECONNREFUSED from an earlier send: not a datagram, keep reading.
    if (got < 0) continue;
    datagram.resize(static_cast<std::size_t>(got));
    return datagram;
  }
}

bool UdpMediaReceiver::send_rtcp(std::span<const std::uint8_t> compound, const std::string& host,
                                 std::uint16_t port) {
  return send_from(rtcp_fd_, compound, host, port);
}

bool UdpMediaReceiver::send_rtp(std::span<const std::uint8_t> datagram, const std::string& host,
                                std::uint16_t port) {
  return send_from(rtp_fd_, datagram, host, port);
}

bool UdpMediaReceiver::send_from(int fd, std::span<const std::uint8_t> datagram,
                                 const std::string& host, std::uint16_t port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &to.sin_addr) != 1) return false;
  const ssize_t sent = ::sendto(fd, datagram.data(), datagram.size(), 0,
                                reinterpret_cast<const sockaddr*>(&to), sizeof to);
  return sent == static_cast<ssize_t>(datagram.size());
}

}  // namespace callcast::test
