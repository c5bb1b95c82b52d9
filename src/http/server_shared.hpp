#pragma once
// What the HTTP server shares with its connections and pending completions, which may outlive
// the HttpServer object (internal to src/http).
#include <memory>
#include <unordered_set>

#include "core/time_source.hpp"
#include "http/beast.hpp"
#include "http/http_server.hpp"
#include "http/route_table.hpp"

namespace callcast::http {

class HttpSession;

namespace detail {

struct ServerShared : std::enable_shared_from_this<ServerShared> {
  ServerShared(asio::io_context& io, ServerOptions opts, const core::TimeSource& time_source,
               core::TimerFactory& timer_factory)
      : options(opts), time(time_source), timers(timer_factory), acceptor(io) {}

  ServerOptions options;
  const core::TimeSource& time;
  core::TimerFactory& timers;
  RouteTable routes;
  HttpServer::Filter filter;
  HttpServer::ErrorRenderer render_error = [](int status, std::string_view message) {
    Response response;
    response.status = status;
    response.body = std::string(message) + "\n";
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    return response;
  };
  tcp::acceptor acceptor;
  std::unique_ptr<core::Timer> retry_timer;  // re-arms accept after a transient error (EMFILE)
  std::unordered_set<HttpSession*> sessions;
  ServerStats stats;
  bool stopped = false;
};

}  // namespace detail
}  // namespace callcast::http
