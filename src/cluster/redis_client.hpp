#pragma once
// A synchronous Redis client over hiredis (Debian libhiredis-dev), for the cluster's shared state
// (issue 15): one connection, commands as argument vectors (redisCommandArgv: a number or a URI
// is always one argument, never spliced into a format string), each bounded by a timeout.
//
// Failures never throw. Each one names the server and the command ("redis 10.0.0.5:6379: HSET
// callcast:group:1001: no reply within 1000 ms"), so an operator reading a log line knows which
// Redis and which state were concerned. After a failure that may have left the connection out of
// step (I/O error, timeout, protocol error) the connection is dropped and the next command
// connects again: a restarted Redis costs the commands issued while it was down, nothing more. A
// connection the server closed while idle (a restart) is noticed before the next command is
// sent, so that command does not fail.
//
// Not thread-safe: one thread at a time (an owner thread, or callers serialised by a mutex).
// Blocking: a command waits at most the connect timeout plus the command timeout (host names are
// resolved by getaddrinfo, which has no timeout of its own: give an address in production).
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_port.hpp"
#include "core/result.hpp"

struct redisContext;
struct redisReply;

namespace callcast::cluster {

class RedisScript;

struct RedisClientOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
};

// One reply, copied out of hiredis's tree (RESP2) so that it outlives the next command.
struct RedisReply {
  enum class Type { string, array, integer, nil, status, error };
  Type type = Type::nil;
  std::string text;                  // string, status, error
  long long integer = 0;             // integer
  std::vector<RedisReply> elements;  // array

  bool is_nil() const { return type == Type::nil; }
  bool is_status(std::string_view status) const { return type == Type::status && text == status; }
};

std::string_view to_string(RedisReply::Type type);

class RedisClient {
 public:
  using Error = std::string;

  explicit RedisClient(core::HostPort server, RedisClientOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command, argv[0] its name. An error reply (-WRONGTYPE, -ERR ...) is a failure too.
  Result<RedisReply, Error> command(std::span<const std::string> argv);
  Result<RedisReply, Error> command(std::initializer_list<std::string_view> argv);

  // The same, for a command whose reply has a known type; any other type is a failure that says
  // what came instead.
  Result<long long, Error> integer(std::initializer_list<std::string_view> argv);
  Result<std::optional<std::string>, Error> string_or_nil(
      std::initializer_list<std::string_view> argv);
  Result<bool, Error> status_ok(std::initializer_list<std::string_view> argv);  // +OK
  // An array of strings (SMEMBERS, HGETALL's flat field/value list).
  Result<std::vector<std::string>, Error> strings(std::initializer_list<std::string_view> argv);

  // Several commands in one round trip (hiredis pipelining). A failure of the connection fails
  // the whole call; an error reply is returned in its slot as a reply of type error.
  Result<std::vector<RedisReply>, Error> pipeline(
      std::span<const std::vector<std::string>> commands);

  // A Lua script by EVALSHA, falling back to EVAL when Redis does not hold it (NOSCRIPT: after a
  // restart or SCRIPT FLUSH). Redis runs a script atomically: nothing else runs in between.
  Result<RedisReply, Error> eval(const RedisScript& script, std::span<const std::string> keys,
                                 std::span<const std::string> args);

  // Connects now rather than at the first command (a start-up check with a clear message).
  Result<bool, Error> connect();

  bool connected() const { return context_ != nullptr; }
  const core::HostPort& server() const { return server_; }
  // "redis 10.0.0.5:6379": how messages name the server.
  const std::string& server_name() const { return name_; }

  std::uint64_t commands() const { return commands_; }
  std::uint64_t failures() const { return failures_; }
  std::uint64_t connects() const { return connects_; }  // successful connections, the first too

 private:
  // Like command(), but an error reply comes back as a reply (eval needs to see NOSCRIPT).
  Result<RedisReply, Error> run(std::span<const std::string> argv, std::string_view label);
  Result<bool, Error> ensure_connected(std::string_view label);
  // Drops the connection and returns the failure "redis HOST:PORT: <label>: <why>".
  Error fail_connection(std::string_view label, std::string_view why);
  Error failure(std::string_view label, std::string_view why) const;
  bool closed_by_server() const;
  void disconnect();

  core::HostPort server_;
  RedisClientOptions options_;
  std::string name_;
  redisContext* context_ = nullptr;
  std::uint64_t commands_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t connects_ = 0;
};

// "HSET callcast:group:1001": a command's name and first argument for messages (the key, where
// there is one; SCAN's MATCH pattern), cut short; never the values, which may be long.
std::string command_label(std::span<const std::string> argv);

// Reads an integer a script or a hash returned as text; nullopt unless the whole text is one.
std::optional<std::int64_t> parse_redis_integer(std::string_view text);

}  // namespace callcast::cluster
