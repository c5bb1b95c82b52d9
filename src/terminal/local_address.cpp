#include "terminal/local_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace callcast::terminal {

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string numeric_host(const sockaddr* address, socklen_t length) {
  char host[NI_MAXHOST] = {};
  if (getnameinfo(address, length, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) return {};
  std::string text = host;
  // A link-local IPv6 address comes back as "fe80::1%eth0": SIP and SDP have no zone.
  if (const auto percent = text.find('%'); percent != std::string::npos) text.resize(percent);
  return text;
}

Result<AddrInfoList, std::string> resolve(const std::string& host, std::uint16_t port, int socktype,
                                          int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return fail("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  return AddrInfoList(found);
}

}  // namespace

Result<std::string, std::string> local_address_toward(const std::string& host, std::uint16_t port) {
  auto resolved = resolve(host, port, SOCK_DGRAM, 0);
  if (!resolved) return fail(resolved.error());
  std::string why = "no address";
  for (const addrinfo* a = resolved->get(); a != nullptr; a = a->ai_next) {
    Socket socket(::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (socket.fd() < 0) {
      why = std::strerror(errno);
      continue;
    }
    // No packet leaves: connect(2) on UDP only picks the route and the source address.
    if (::connect(socket.fd(), a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      continue;
    }
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
      why = std::strerror(errno);
      continue;
    }
    std::string text = numeric_host(reinterpret_cast<const sockaddr*>(&local), length);
    if (!text.empty()) return text;
  }
  return fail("no route to " + host + " (" + why + ")");
}

Result<bool, std::string> check_bindable(const std::string& host, std::uint16_t port,
                                         const std::string& transport) {
  const int type = transport == "tcp" ? SOCK_STREAM : SOCK_DGRAM;
  auto resolved = resolve(host, port, type, AI_NUMERICHOST);
  if (!resolved) return fail(host + " is not an IP address of this machine");
  const addrinfo* a = resolved->get();
  if (a->ai_family == AF_INET &&
      reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr == htonl(INADDR_ANY)) {
    return fail(host + " is not one address: give the address to advertise in Contact and SDP");
  }
  if (a->ai_family == AF_INET6 &&
      IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr)) {
    return fail(host + " is not one address: give the address to advertise in Contact and SDP");
  }
  Socket socket(::socket(a->ai_family, type | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return fail("cannot open a socket: " + std::string(std::strerror(errno)));
  if (type == SOCK_STREAM) {
    const int one = 1;
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (::bind(socket.fd(), a->ai_addr, a->ai_addrlen) != 0) {
    const int error = errno;
    const std::string where = port == 0 ? host : host + " port " + std::to_string(port);
    if (error == EADDRNOTAVAIL) return fail(host + " is not an IP address of this machine");
    return fail("cannot bind " + where + ": " + std::strerror(error));
  }
  return true;
}

}  // namespace callcast::terminal
