#include "loadgen/publish_sink.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace callcast::loadgen {

InterleavedTcpSink::InterleavedTcpSink(int fd) : fd_(fd) {
  pending_.reserve(256 * 1024);
}

InterleavedTcpSink::~InterleavedTcpSink() {
  if (fd_ >= 0) close(fd_);
}

void InterleavedTcpSink::send(MediaKind kind, std::span<const std::uint8_t> packet) {
  pending_.push_back('$');
  pending_.push_back(kind == MediaKind::video ? 0 : 2);
  pending_.push_back(static_cast<std::uint8_t>(packet.size() >> 8));
  pending_.push_back(static_cast<std::uint8_t>(packet.size()));
  pending_.insert(pending_.end(), packet.begin(), packet.end());
}

void InterleavedTcpSink::flush() {
  // RTCP or anything else the server sends back: not needed, but must not pile up.
  std::uint8_t drain[4096];
  for (int round = 0; round < 16; ++round) {
    if (recv(fd_, drain, sizeof drain, MSG_DONTWAIT) <= 0) break;
  }
  std::size_t sent = 0;
  // The socket has a send timeout (SO_SNDTIMEO): a stalled server ends this loop.
  for (int round = 0; sent < pending_.size() && round < 1000; ++round) {
    const ssize_t n = ::send(fd_, pending_.data() + sent, pending_.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++errors_;
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  pending_.clear();
}

UdpSink::UdpSink(std::uint16_t video_port, std::uint16_t audio_port)
    : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  for (auto [address, port] : {std::pair{&video_, video_port}, std::pair{&audio_, audio_port}}) {
    address->sin_family = AF_INET;
    address->sin_port = htons(port);
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
}

UdpSink::~UdpSink() {
  if (fd_ >= 0) close(fd_);
}

void UdpSink::send(MediaKind kind, std::span<const std::uint8_t> packet) {
  const sockaddr_in& to = kind == MediaKind::video ? video_ : audio_;
  const ssize_t n = sendto(fd_, packet.data(), packet.size(), 0,
                           reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n < 0) ++errors_;
}

}  // namespace callcast::loadgen
