// callcast-limit-relay: the kernel's per-packet limit for bench/fanout.sh (issue 5).
//
// The least work a server can do to send each packet to each viewer one datagram at a time: no
// RTSP, no RTP parsing, no per-viewer state; one UDP socket, a list of destinations, and a tight
// sendmmsg loop whose messages all point at the same received bytes. Whatever callcast reaches
// beyond this needs fewer syscalls' worth of work per datagram (UDP GSO), not a faster loop.
//
//   callcast-limit-relay --port P
//
// A 4-byte datagram "JOIN" adds its sender to the destinations, "LEAVE" removes it; every other
// datagram that looks like RTP version 2 is relayed to every destination. Prints `ready P` on
// stdout once bound; on SIGTERM/SIGINT prints one JSON line of counters to stderr and exits 0.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

// sendmmsg takes at most UIO_MAXIOV (1024) messages per call.
constexpr std::size_t kMaxMessagesPerSend = 1024;
constexpr std::size_t kReceiveBatch = 64;
constexpr std::size_t kMaxDatagram = 2048;
// Input: room for a keyframe's burst (hundreds of packets), but not for seconds of backlog: a
// relay that falls behind must show it as loss, as a real server would, not as ever-growing
// latency. The same size as the gst peer's input. Output: copies in flight to thousands of viewers.
constexpr int kReceiveBufferBytes = 2 * 1024 * 1024;
constexpr int kSendBufferBytes = 8 * 1024 * 1024;
// How long a blocking wait may hide a SIGTERM.
constexpr int kPollTimeoutMs = 200;

volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int) {
  stop_requested = 1;
}

struct RelayCounters {
  std::uint64_t packets_relayed = 0;  // RTP datagrams received and sent on
  std::uint64_t datagrams_sent = 0;   // copies the kernel accepted
  std::uint64_t drops = 0;            // copies refused (EAGAIN: send buffer full)
  std::uint64_t send_errors = 0;      // copies refused for another reason
  std::uint64_t joins = 0;
  std::uint64_t leaves = 0;
  std::uint64_t ignored = 0;  // neither a command nor RTP v2
};

// Destinations in a flat array that sendmmsg's messages point into, plus an index by address so
// JOIN and LEAVE stay O(1) with tens of thousands of viewers.
class DestinationList {
 public:
  // Returns false when the address is already a destination.
  bool add(const sockaddr_in& address) {
    if (!index_.emplace(key_of(address), addresses_.size()).second) return false;
    addresses_.push_back(address);
    rebuild_messages();
    return true;
  }

  bool remove(const sockaddr_in& address) {
    const auto found = index_.find(key_of(address));
    if (found == index_.end()) return false;
    const std::size_t slot = found->second;
    index_.erase(found);
    if (slot != addresses_.size() - 1) {
      addresses_[slot] = addresses_.back();
      index_[key_of(addresses_[slot])] = slot;
    }
    addresses_.pop_back();
    rebuild_messages();
    return true;
  }

  // Every message points at the same single iovec: per packet only that iovec changes.
  void send_to_all(int socket_fd, const std::byte* packet, std::size_t length,
                   RelayCounters& counters) {
    payload_.iov_base = const_cast<std::byte*>(packet);
    payload_.iov_len = length;
    std::size_t next = 0;
    // Each pass sends at least one message or counts one as dropped: at most size() passes.
    while (next < messages_.size()) {
      const std::size_t count = std::min(kMaxMessagesPerSend, messages_.size() - next);
      const int sent =
          sendmmsg(socket_fd, &messages_[next], static_cast<unsigned>(count), MSG_DONTWAIT);
      if (sent > 0) {
        counters.datagrams_sent += static_cast<std::uint64_t>(sent);
        next += static_cast<std::size_t>(sent);
        continue;
      }
      // The message at `next` failed: skip that viewer for this packet, as a server must.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        ++counters.drops;
      } else if (errno != EINTR) {
        ++counters.send_errors;
      } else {
        continue;  // interrupted before sending anything: retry the same message
      }
      ++next;
    }
  }

  std::size_t size() const { return addresses_.size(); }

 private:
  static std::uint64_t key_of(const sockaddr_in& address) {
    return (static_cast<std::uint64_t>(address.sin_addr.s_addr) << 16) | address.sin_port;
  }

  // Pointers into addresses_ move when it grows or shrinks: rebuilt on every JOIN/LEAVE, which
  // are rare next to packets.
  void rebuild_messages() {
    messages_.assign(addresses_.size(), mmsghdr{});
    for (std::size_t i = 0; i < addresses_.size(); ++i) {
      msghdr& header = messages_[i].msg_hdr;
      header.msg_name = &addresses_[i];
      header.msg_namelen = sizeof(sockaddr_in);
      header.msg_iov = &payload_;
      header.msg_iovlen = 1;
    }
  }

  std::vector<sockaddr_in> addresses_;
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::vector<mmsghdr> messages_;
  iovec payload_{};
};

// RFC 3550 §5.1: the first byte is V(2) P(1) X(1) CC(4); a header is at least 12 bytes.
bool looks_like_rtp(const std::byte* data, std::size_t length) {
  return length >= 12 && (std::to_integer<unsigned>(data[0]) >> 6) == 2;
}

void raise_buffer(int socket_fd, int force_option, int option, int bytes, const char* name) {
  // The *FORCE options pass net.core.[rw]mem_max but need CAP_NET_ADMIN; without it the plain
  // option still gets up to the sysctl's maximum.
  if (setsockopt(socket_fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) == 0) return;
  if (setsockopt(socket_fd, SOL_SOCKET, option, &bytes, sizeof bytes) != 0) {
    std::fprintf(stderr, "callcast-limit-relay: cannot set %s: %s\n", name, std::strerror(errno));
  }
}

int open_socket(int port) {
  const int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (socket_fd < 0) {
    std::fprintf(stderr, "callcast-limit-relay: socket: %s\n", std::strerror(errno));
    return -1;
  }
  raise_buffer(socket_fd, SO_SNDBUFFORCE, SO_SNDBUF, kSendBufferBytes, "SO_SNDBUF");
  raise_buffer(socket_fd, SO_RCVBUFFORCE, SO_RCVBUF, kReceiveBufferBytes, "SO_RCVBUF");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "callcast-limit-relay: cannot bind 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    close(socket_fd);
    return -1;
  }
  return socket_fd;
}

int bound_port(int socket_fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  return ntohs(address.sin_port);
}

bool parse_port(int argc, char** argv, int& port) {
  if (argc != 3 || std::string_view(argv[1]) != "--port") return false;
  char* end = nullptr;
  errno = 0;
  const long parsed = std::strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || parsed < 0 || parsed > 65535) return false;
  port = static_cast<int>(parsed);
  return true;
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll returns EINTR and the loop sees the flag at once
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

// Receives in batches and relays each datagram before the next batch, until SIGTERM.
void run_relay(int socket_fd, RelayCounters& counters) {
  DestinationList destinations;
  std::vector<std::array<std::byte, kMaxDatagram>> buffers(kReceiveBatch);
  std::array<iovec, kReceiveBatch> vectors{};
  std::array<sockaddr_in, kReceiveBatch> senders{};
  std::array<mmsghdr, kReceiveBatch> messages{};
  for (std::size_t i = 0; i < kReceiveBatch; ++i) {
    vectors[i] = iovec{buffers[i].data(), kMaxDatagram};
    messages[i].msg_hdr.msg_name = &senders[i];
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  bool batch_was_full = false;
  while (stop_requested == 0) {
    // A full batch means more may be queued: read again before paying for a poll.
    if (!batch_was_full) {
      pollfd readable{socket_fd, POLLIN, 0};
      if (poll(&readable, 1, kPollTimeoutMs) <= 0) continue;  // timeout or EINTR
    }
    for (auto& message : messages) {
      message.msg_hdr.msg_namelen = sizeof(sockaddr_in);  // recvmmsg overwrote it
    }
    const int received = recvmmsg(socket_fd, messages.data(), kReceiveBatch, MSG_DONTWAIT, nullptr);
    batch_was_full = received == static_cast<int>(kReceiveBatch);
    if (received <= 0) continue;
    for (int i = 0; i < received; ++i) {
      const std::byte* data = buffers[i].data();
      const std::size_t length = messages[i].msg_len;
      const std::string_view text(reinterpret_cast<const char*>(data), length);
      if (text == "JOIN") {
        if (destinations.add(senders[i])) ++counters.joins;
      } else if (text == "LEAVE") {
        if (destinations.remove(senders[i])) ++counters.leaves;
      } else if (looks_like_rtp(data, length)) {
        ++counters.packets_relayed;
        destinations.send_to_all(socket_fd, data, length, counters);
      } else {
        ++counters.ignored;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Started as a child of the bench: never outlive it.
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;

  int port = 0;
  if (!parse_port(argc, argv, port)) {
    std::fprintf(stderr, "usage: callcast-limit-relay --port P\n");
    return 1;
  }
  install_stop_handlers();
  const int socket_fd = open_socket(port);
  if (socket_fd < 0) return 1;
  std::printf("ready %d\n", bound_port(socket_fd));
  std::fflush(stdout);

  RelayCounters counters;
  run_relay(socket_fd, counters);
  close(socket_fd);
  std::fprintf(stderr,
               "{\"packets_relayed\":%llu,\"datagrams_sent\":%llu,\"drops\":%llu,"
               "\"send_errors\":%llu,\"joins\":%llu,\"leaves\":%llu,\"ignored\":%llu}\n",
               static_cast<unsigned long long>(counters.packets_relayed),
               static_cast<unsigned long long>(counters.datagrams_sent),
               static_cast<unsigned long long>(counters.drops),
               static_cast<unsigned long long>(counters.send_errors),
               static_cast<unsigned long long>(counters.joins),
               static_cast<unsigned long long>(counters.leaves),
               static_cast<unsigned long long>(counters.ignored));
  return 0;
}
