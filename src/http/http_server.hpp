#pragma once
// A small asynchronous HTTP/1.1 server for control planes (the admin API). Beast parses and
// writes the wire format; this header keeps Beast and Asio out of the route handlers, which see
// only the plain Request/Response structs below.
//
// Threading: the server, its sessions and the route handlers run on the one io_context given to
// the constructor. A Responder may be called later and from any thread: it posts the response
// back to that io_context.
//
// Time is given (core/time_source.hpp): the read and write deadlines, the linger after a close
// and the accept retry are timers of the TimerFactory passed in, on that io_context's thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time_source.hpp"
#include "http/http_message.hpp"
#include "http/responder.hpp"
#include "http/route_table.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace callcast::http {

namespace detail {
struct ServerShared;
}  // namespace detail

struct ServerOptions {
  std::size_t header_limit = std::size_t{8} * 1024;
  std::size_t body_limit = std::size_t{64} * 1024;
  // Whole request (headers and body), and the idle wait for the next request on a keep-alive
  // connection.
  std::chrono::milliseconds read_timeout{15'000};
  std::chrono::milliseconds write_timeout{15'000};
  // Connections beyond this are accepted and closed at once.
  std::size_t max_connections = 256;
};

struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_rejected = 0;  // over max_connections
  std::uint64_t requests = 0;              // responses written, any status
  std::uint64_t bad_requests = 0;          // unparseable HTTP, over a limit
  std::uint64_t timeouts = 0;              // read or write deadline passed
  std::size_t active_connections = 0;
};

// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104; false for anything else, including text
// that is not an IP address.
bool is_loopback_address(std::string_view address);

class HttpServer {
 public:
  using Handler = http::Handler;
  // Runs once the headers are read, before the body is and before routing; a response returned
  // here is sent instead (and the connection closes if a body was left unread).
  using Filter = std::function<std::optional<Response>(const Request&)>;
  // Builds the responses the server produces itself (400, 404, 405, 413, 431, 500).
  using ErrorRenderer = std::function<Response(int status, std::string_view message)>;

  // time: durations in the log; timers: the deadlines, created and run on io's thread. Both
  // must outlive the server.
  HttpServer(boost::asio::io_context& io, ServerOptions options, const core::TimeSource& time,
             core::TimerFactory& timers);
  // The real clock and timers on `io` (the server owns its io::AsioTimerFactory): for tests and
  // tools that have no time source of their own.
  explicit HttpServer(boost::asio::io_context& io, std::size_t max_connections = 256);
  HttpServer(boost::asio::io_context& io, ServerOptions options);
  ~HttpServer();  // stops; connections still open are closed
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // pattern: a path whose segments are literals or {name}, e.g. "/v1/groups/{group}". A path
  // that matches some pattern but none with this method gets 405 with an Allow header.
  void route(std::string method, std::string pattern, Handler handler);
  void set_filter(Filter filter);
  void set_error_renderer(ErrorRenderer renderer);

  // host: an IPv4 or IPv6 literal (brackets allowed) or "localhost"; port 0 lets the OS choose.
  Result<bool, std::string> listen(std::string_view host, std::uint16_t port);
  std::uint16_t port() const;  // the bound port after listen(), else 0
  void stop();                 // closes the listener and every connection

  ServerStats stats() const;

 private:
  // The timers of the convenience constructors; null when the caller gave its own.
  std::unique_ptr<core::TimerFactory> owned_timers_;
  // Shared with the connections and pending completions, which may outlive this object.
  std::shared_ptr<detail::ServerShared> shared_;
};

}  // namespace callcast::http
