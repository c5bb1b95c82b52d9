#pragma once
// One blocking HTTP/1.1 connection, every step bounded by a timeout so that a server that does
// not answer fails the caller instead of hanging it. The one HTTP client engine of the load
// generator and the tests: HttpClient (a connection per request) is built on it, and the HTTP
// server's unit tests use it directly for what a well-behaved client never does (pipelined and
// chunked requests, raw bytes, waiting for the server to close). Boost.Beast stays in the .cpp.
//
// Threads: one caller at a time; each operation runs the connection's own io_context.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "loadgen/http_reply.hpp"

namespace callcast::loadgen {

class HttpConnection {
 public:
  // Connects to `server` (a numeric address); connected() tells whether it worked, error() why
  // not.
  HttpConnection(core::HostPort server, std::chrono::milliseconds timeout);
  // To 127.0.0.1:`loopback_port`, as the unit tests of servers in the same process do.
  explicit HttpConnection(std::uint16_t loopback_port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const;
  const std::string& error() const;

  // Writes one request and reads its reply; nullopt (and error() says why) when either failed.
  std::optional<HttpReply> request(std::string_view method, std::string_view target,
                                   std::string body = {}, std::vector<http::Header> headers = {});
  // Writes one request without waiting for the reply: Host (host:port) unless `headers` has
  // one, then `headers`; Content-Length, or the body chunked when `chunked`.
  bool send_request(std::string_view method, std::string_view target, std::string body = {},
                    std::vector<http::Header> headers = {}, bool chunked = false);
  bool send_raw(std::string_view bytes);
  // The next response on the connection (bodies up to 16 MiB).
  std::optional<HttpReply> read_reply();
  // True once the server has closed the connection (EOF or reset) within the timeout; data
  // received meanwhile is discarded.
  bool wait_for_close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callcast::loadgen
