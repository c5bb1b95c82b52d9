#pragma once
// A real redis-server (Debian redis-server) for the cluster tests: on a free loopback port, in
// the test's temporary directory, without persistence (--save '' --appendonly no, so a restart
// starts empty, as a crashed Redis without persistence would). Stopped by its PID when the
// object goes, whatever the test's outcome; the kernel kills it if the test process dies
// (ChildProcess, PR_SET_PDEATHSIG). Create it on the test's main thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/host_port.hpp"
#include "support/child_process.hpp"

namespace callcast::test {

// Where it runs, when not on the test's own loopback: on a lab host (network namespace, e.g.
// NetnsLab::in(host, {})), bound to that host's address.
struct RedisServerPlace {
  std::vector<std::string> exec_prefix;  // prepended to redis-server's argv
  std::string netns;                     // entered to check that it answers PING
  std::string bind;                      // the address it listens on
  std::uint16_t port = 6379;
};

class RedisServer {
 public:
  // Starts it at once; started() says whether it answers PING.
  explicit RedisServer(std::filesystem::path dir);
  RedisServer(std::filesystem::path dir, RedisServerPlace place);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // (Re)starts on the same port and waits (bounded) until it answers PING.
  bool start();
  // SIGTERM, then SIGKILL after a grace period; clients' connections drop.
  void stop();
  bool started() const { return process_ != nullptr; }
  const std::string& error() const { return error_; }

  core::HostPort address() const { return {place_.bind, port_}; }
  // "tcp://HOST:PORT", as cluster.redis_url takes it.
  std::string url() const { return "tcp://" + place_.bind + ":" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  std::string log_tail() const;

 private:
  bool start_once();

  std::filesystem::path dir_;
  RedisServerPlace place_{{}, {}, "127.0.0.1", 0};
  std::uint16_t port_ = 0;
  int starts_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::string error_;
};

// A loopback TCP port nobody listens on right now (bound and released).
std::uint16_t free_tcp_port();

}  // namespace callcast::test
