#include "terminal/media/rtcp_feedback_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "terminal/media/server_stream_reader.hpp"

namespace callcast::terminal {

namespace {

constexpr int kConnectTimeoutMs = 5000;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void no_delay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

}  // namespace

std::unique_ptr<RtcpFeedbackRelay> RtcpFeedbackRelay::create(RtcpHandler on_rtcp,
                                                             std::string& error) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 4) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error = std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno);
    close_fd(listener);
    return nullptr;
  }
  const int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    close_fd(listener);
    return nullptr;
  }
  return std::unique_ptr<RtcpFeedbackRelay>(
      new RtcpFeedbackRelay(listener, ntohs(address.sin_port), wake, std::move(on_rtcp)));
}

RtcpFeedbackRelay::RtcpFeedbackRelay(int listener, std::uint16_t port, int wake,
                                     RtcpHandler on_rtcp)
    : listener_(listener), port_(port), wake_(wake), on_rtcp_(std::move(on_rtcp)) {
  thread_ = std::thread([this] { run(); });
}

RtcpFeedbackRelay::~RtcpFeedbackRelay() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof(one));
  thread_.join();
  close_fd(listener_);
  close_fd(wake_);
}

std::string RtcpFeedbackRelay::proxy() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void RtcpFeedbackRelay::set_server(const std::string& host, std::uint16_t port) {
  std::lock_guard lock(mutex_);
  host_ = host;
  server_port_ = port;
}

std::optional<std::string> RtcpFeedbackRelay::server_failure() const {
  std::lock_guard lock(mutex_);
  return server_failure_;
}

RtcpFeedbackRelay::Written RtcpFeedbackRelay::write_all(int fd, const std::uint8_t* data,
                                                        std::size_t size) const {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return Written::failed;
    // A peer that does not read (a stalled link) must not hold the relay: a stop or a new
    // connection from the sink (it gave this one up and reconnects) ends the wait.
    std::array<pollfd, 3> fds{{{wake_, POLLIN, 0}, {listener_, POLLIN, 0}, {fd, POLLOUT, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return Written::failed;
    if (fds[0].revents != 0) return Written::stopped;
    if (fds[1].revents != 0) return Written::failed;
  }
  return Written::all;
}

void RtcpFeedbackRelay::run() {
  for (;;) {
    std::array<pollfd, 2> fds{{{wake_, POLLIN, 0}, {listener_, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int server = connect_server();
    if (server == -2) {
      close_fd(client);
      return;
    }
    if (server < 0) {
      close_fd(client);  // the sink sees its connection closed at once
      continue;
    }
    no_delay(client);
    const bool stop = pump(client, server);
    close_fd(client);
    close_fd(server);
    if (stop) return;
  }
}

int RtcpFeedbackRelay::connect_server() {
  std::string host;
  std::uint16_t port = 0;
  {
    std::lock_guard lock(mutex_);
    host = host_;
    port = server_port_;
  }
  const std::string where = host + ":" + std::to_string(port);
  auto fail = [&](const std::string& why) {
    std::lock_guard lock(mutex_);
    server_failure_ = "Failed to connect to " + where + " (" + why + ")";
    return -1;
  };
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      rc != 0) {
    return fail(::gai_strerror(rc));
  }
  std::string why = "no address";
  int fd = -1;
  for (const addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      close_fd(fd);
      continue;
    }
    std::array<pollfd, 2> fds{{{wake_, POLLIN, 0}, {fd, POLLOUT, 0}}};
    const int ready = ::poll(fds.data(), fds.size(), kConnectTimeoutMs);
    if (ready > 0 && fds[0].revents != 0) {
      close_fd(fd);
      ::freeaddrinfo(found);
      return -2;
    }
    int error = ready == 0 ? ETIMEDOUT : 0;
    socklen_t length = sizeof(error);
    if (ready > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      why = std::strerror(error);
      close_fd(fd);
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return fail(why);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  no_delay(fd);
  std::lock_guard lock(mutex_);
  server_failure_.reset();
  return fd;
}

bool RtcpFeedbackRelay::pump(int& client, int server) {
  ServerStreamReader reader([this](std::uint8_t, rtp::Bytes rtcp) {
    rtcp_frames_.fetch_add(1, std::memory_order_relaxed);
    on_rtcp_(rtcp);
  });
  std::array<std::uint8_t, 64 * 1024> buffer{};
  bool server_open = true;  // the server has not closed its side
  for (;;) {
    std::array<pollfd, 4> fds{{{wake_, POLLIN, 0},
                               {listener_, POLLIN, 0},
                               {client, POLLIN, 0},
                               {server_open ? server : -1, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (fds[0].revents != 0) return true;
    // A new connection from the sink: it has given the old one up (a reconnect).
    if (fds[1].revents != 0) return false;
    if (fds[3].revents != 0) {
      const ssize_t n = ::recv(server, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return reset(client);
      if (n == 0) {
        // As a direct connection would: the sink reads the end, and its next write fails.
        ::shutdown(client, SHUT_WR);
        server_open = false;
        continue;
      }
      const auto size = static_cast<std::size_t>(n);
      // Read first: a request reaches the encoder without waiting for the sink to take the bytes.
      reader.feed(rtp::Bytes(buffer.data(), size));
      const auto written = write_all(client, buffer.data(), size);
      if (written != Written::all) return written == Written::stopped;
    }
    if (fds[2].revents != 0) {
      const ssize_t n = ::recv(client, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      const auto written = write_all(server, buffer.data(), static_cast<std::size_t>(n));
      if (written == Written::stopped) return true;
      if (written == Written::failed) return reset(client);
    }
  }
}

bool RtcpFeedbackRelay::reset(int& client) {
  // The server's end was reset or aborted: the sink's end is reset too (RST, not FIN), so the sink
  // reports the lost connection as it would without the relay, and reconnects.
  const linger abort{1, 0};
  ::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  close_fd(client);
  return false;
}

}  // namespace callcast::terminal
