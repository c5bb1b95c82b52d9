#include "sipp_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "support/wait_until.hpp"

#ifndef CALLCAST_SIPP_SCENARIOS
#error "CALLCAST_SIPP_SCENARIOS must name the scenario directory"
#endif

namespace callcast::test {
namespace {

int bound_socket(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A port free for both UDP and TCP right now (sipp cannot be told to take port 0 and say
// which one it got).
std::uint16_t probe_free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int udp = bound_socket(SOCK_DGRAM, 0);
    if (udp < 0) continue;
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length);
    const std::uint16_t port = ntohs(address.sin_port);
    const int tcp = bound_socket(SOCK_STREAM, port);
    ::close(udp);
    if (tcp < 0) continue;
    ::close(tcp);
    return port;
  }
  return 0;
}

// The first of four consecutive UDP ports free right now, for sipp's -mp: sipp binds the media
// port and the next three (audio and video RTP/RTCP) and refuses to start if one is taken. Picked
// below the kernel's ephemeral range (32768 and up), which every socket bound to port 0 draws
// from (thousands at once under a load run), so only a fixed-port server can collide.
std::uint16_t probe_free_media_ports() {
  std::random_device seed;
  std::uniform_int_distribution<int> pick(10'000, 15'999);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto first = static_cast<std::uint16_t>(pick(seed) * 2);
    int held[4] = {-1, -1, -1, -1};
    bool free = true;
    for (int i = 0; i < 4 && free; ++i) {
      held[i] = bound_socket(SOCK_DGRAM, static_cast<std::uint16_t>(first + i));
      free = held[i] >= 0;
    }
    for (const int fd : held) {
      if (fd >= 0) ::close(fd);
    }
    if (free) return first;
  }
  return 0;
}

// True once something else holds the port (we cannot bind it any more).
bool port_taken(bool tcp, std::uint16_t port) {
  const int fd = bound_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, port);
  if (fd < 0) return true;
  ::close(fd);
  return false;
}

}  // namespace

SippPeer::SippPeer(SippOptions options) : options_(std::move(options)), dir_("sipp") {
  port_ = probe_free_port();
  const std::uint16_t media_port = probe_free_media_ports();
  if (port_ == 0 || media_port == 0) {
    error_ = "no free port";
    return;
  }
  ChildOptions child;
  child.argv = {"sipp"};
  if (options_.scenario == "uas") {
    child.argv.insert(child.argv.end(), {"-sn", "uas"});
  } else {
    child.argv.insert(child.argv.end(),
                      {"-sf", std::string(CALLCAST_SIPP_SCENARIOS) + "/" + options_.scenario});
  }
  child.argv.insert(
      child.argv.end(),
      {"-i", "127.0.0.1", "-p", std::to_string(port_), "-mp", std::to_string(media_port), "-t",
       options_.tcp ? "t1" : "u1", "-m", std::to_string(options_.calls), "-nostdin", "-timeout",
       "20s", "-trace_err", "-error_file", (dir_ / "errors.log").string()});
  if (!options_.auth_user.empty()) {
    child.argv.insert(child.argv.end(), {"-set", "auth_user", options_.auth_user, "-set",
                                         "auth_password", options_.auth_password});
  }
  child.argv.insert(child.argv.end(), options_.extra.begin(), options_.extra.end());
  child.stdout_file = dir_ / "stdout.log";
  child.stderr_file = dir_ / "stderr.log";
  process_ = std::make_unique<ChildProcess>(std::move(child));
  if (!process_->started()) {
    error_ = "cannot start sipp: " + process_->error();
    return;
  }
  ready_ = wait_until([&] { return port_taken(options_.tcp, port_) || !process_->running(); },
                      std::chrono::seconds(5), std::chrono::milliseconds(10)) &&
           process_->running();
  if (!ready_) error_ = "sipp is not listening on port " + std::to_string(port_) + ": " + output();
}

std::optional<ExitStatus> SippPeer::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait_for(timeout);
}

std::string SippPeer::output() const {
  std::ostringstream out;
  if (process_) out << process_->command_line() << "\n" << process_->stderr_tail(2000);
  std::ifstream errors(dir_ / "errors.log");
  out << errors.rdbuf();
  return out.str();
}

}  // namespace callcast::test
