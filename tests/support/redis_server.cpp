#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <iterator>
#include <thread>

#include "support/netns_scope.hpp"

namespace callcast::test {

namespace {

// Asks for PING on a fresh connection, through hiredis rather than the client under test.
bool answers_ping(const std::string& host, std::uint16_t port) {
  redisContext* context = redisConnectWithTimeout(host.c_str(), port, timeval{0, 200'000});
  if (context == nullptr) return false;
  bool pong = false;
  if (context->err == 0) {
    redisSetTimeout(context, timeval{0, 500'000});
    auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
    pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
           std::string_view(reply->str, reply->len) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(context);
  return pong;
}

// In the lab host's namespace when there is one: its address is not reachable from ours.
bool answers_ping_in(const std::string& netns, const std::string& host, std::uint16_t port) {
  if (netns.empty()) return answers_ping(host, port);
  const NetnsScope inside(netns);
  return inside.ok() && answers_ping(host, port);
}

std::vector<std::string> with_prefix(std::vector<std::string> prefix,
                                     std::vector<std::string> argv) {
  prefix.insert(prefix.end(), std::make_move_iterator(argv.begin()),
                std::make_move_iterator(argv.end()));
  return prefix;
}

}  // namespace

std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

RedisServer::RedisServer(std::filesystem::path dir) : dir_(std::move(dir)) {
  // Another process may take the port between free_tcp_port() and redis-server's bind: a few
  // ports are tried.
  for (int attempt = 0; attempt < 3 && process_ == nullptr; ++attempt) {
    port_ = free_tcp_port();
    start_once();
  }
}

RedisServer::RedisServer(std::filesystem::path dir, RedisServerPlace place)
    : dir_(std::move(dir)), place_(std::move(place)), port_(place_.port) {
  start_once();
}

RedisServer::~RedisServer() {
  stop();
}

bool RedisServer::start() {
  if (process_ != nullptr) return true;
  return start_once();
}

bool RedisServer::start_once() {
  ++starts_;
  const std::filesystem::path log = dir_ / ("redis-" + std::to_string(starts_) + ".log");
  auto process = std::make_unique<ChildProcess>(ChildOptions{
      .argv = with_prefix(
          place_.exec_prefix,
          {"redis-server", "--port", std::to_string(port_), "--bind", place_.bind, "--save", "",
           "--appendonly", "no", "--dir", dir_.string(), "--daemonize", "no",
           // Without a password Redis takes only loopback
           // clients otherwise; a lab host's Redis serves
           // the other hosts of its closed bridge.
           "--protected-mode", place_.bind == "127.0.0.1" ? "yes" : "no"}),
      .stdout_file = log,
      .stderr_file = log.string() + ".err",
      .pipe_stdout = false,
      .extra_env = {},
  });
  if (!process->started()) {
    error_ = "cannot run redis-server: " + process->error();
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process->running()) {
      error_ = "redis-server on port " + std::to_string(port_) + " exited (" +
               (process->status() ? process->status()->describe() : std::string("?")) +
               "): " + file_tail(log, 2000);
      return false;
    }
    if (answers_ping_in(place_.netns, place_.bind, port_)) {
      process_ = std::move(process);
      error_.clear();
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "redis-server on port " + std::to_string(port_) + " did not answer PING within 10 s";
  process->terminate(SIGKILL, std::chrono::seconds(2));
  return false;
}

void RedisServer::stop() {
  if (process_ == nullptr) return;
  process_->terminate(SIGTERM, std::chrono::seconds(3));
  process_.reset();
}

std::string RedisServer::log_tail() const {
  return file_tail(dir_ / ("redis-" + std::to_string(starts_) + ".log"), 4000);
}

}  // namespace callcast::test
