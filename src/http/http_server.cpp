#include "http/http_server.hpp"

#include <spdlog/spdlog.h>

#include <cassert>

#include "http/beast.hpp"
#include "http/http_session.hpp"
#include "http/server_shared.hpp"
#include "io/asio_timer_factory.hpp"

namespace callcast::http {

namespace {

using detail::ServerShared;

void accept_next(const std::shared_ptr<ServerShared>& shared);

void on_accept(const std::shared_ptr<ServerShared>& shared, beast::error_code ec,
               tcp::socket socket) {
  if (shared->stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
    if (!shared->retry_timer) {
      shared->retry_timer =
          shared->timers.create_timer([weak = std::weak_ptr<ServerShared>(shared)] {
            const auto alive = weak.lock();
            if (alive && !alive->stopped) accept_next(alive);
          });
    }
    shared->retry_timer->enable(std::chrono::milliseconds(100));
    return;
  }
  if (shared->sessions.size() >= shared->options.max_connections) {
    ++shared->stats.connections_rejected;
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  } else {
    ++shared->stats.connections_accepted;
    std::make_shared<HttpSession>(std::move(socket), shared)->start();
  }
  accept_next(shared);
}

void accept_next(const std::shared_ptr<ServerShared>& shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    on_accept(shared, ec, std::move(socket));
  });
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  beast::error_code ec;
  const asio::ip::address parsed = asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (parsed.is_v4()) return parsed.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = parsed.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
}

HttpServer::HttpServer(asio::io_context& io, ServerOptions options, const core::TimeSource& time,
                       core::TimerFactory& timers)
    : shared_(std::make_shared<ServerShared>(io, options, time, timers)) {}

HttpServer::HttpServer(asio::io_context& io, std::size_t max_connections)
    : HttpServer(io, ServerOptions{.max_connections = max_connections}) {}

HttpServer::HttpServer(asio::io_context& io, ServerOptions options)
    : owned_timers_(std::make_unique<io::AsioTimerFactory>(io)),
      shared_(std::make_shared<ServerShared>(io, options, core::RealTimeSource::instance(),
                                             *owned_timers_)) {}

HttpServer::~HttpServer() {
  stop();
  // Sessions whose last completions are still queued outlive this object with their timers,
  // which hold the io_context, not the factory; no timer is created after stop().
}

void HttpServer::route(std::string method, std::string pattern, Handler handler) {
  shared_->routes.add(std::move(method), pattern, std::move(handler));
}

void HttpServer::set_filter(Filter filter) {
  shared_->filter = std::move(filter);
}

void HttpServer::set_error_renderer(ErrorRenderer renderer) {
  shared_->render_error = std::move(renderer);
}

Result<bool, std::string> HttpServer::listen(std::string_view host, std::uint16_t port) {
  std::string bare(host);
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  const bool v6 = bare.find(':') != std::string::npos;
  const std::string where =
      (v6 ? "[" + bare + "]" : bare) + ":" + std::to_string(static_cast<unsigned>(port));
  const auto failure = [&](const std::string& why) {
    return fail("cannot listen on " + where + ": " + why);
  };
  if (shared_->acceptor.is_open()) return failure("this server is already listening");
  if (shared_->stopped) return failure("this server has been stopped");

  beast::error_code ec;
  asio::ip::address address = bare == "localhost"
                                  ? asio::ip::address(asio::ip::address_v4::loopback())
                                  : asio::ip::make_address(bare, ec);
  if (ec) return failure("not an IP address");
  const tcp::endpoint endpoint(address, port);

  tcp::acceptor& acceptor = shared_->acceptor;
  const auto give_up = [&](beast::error_code why) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return failure(why.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return give_up(ec);
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return give_up(ec);
  acceptor.bind(endpoint, ec);
  if (ec) return give_up(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return give_up(ec);
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return give_up(ec);
  spdlog::info("http: listening on {}:{}", v6 ? "[" + bare + "]" : bare, bound.port());
  accept_next(shared_);
  return true;
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  if (!shared_->acceptor.is_open()) return 0;
  const tcp::endpoint bound = shared_->acceptor.local_endpoint(ec);
  return ec ? std::uint16_t{0} : bound.port();
}

void HttpServer::stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  beast::error_code ignored;
  shared_->acceptor.close(ignored);
  if (shared_->retry_timer) shared_->retry_timer->disable();
  // Closing completes each session's pending operation with an error; the session ends there.
  for (HttpSession* session : shared_->sessions)
    session->close();
}

ServerStats HttpServer::stats() const {
  ServerStats stats = shared_->stats;
  stats.active_connections = shared_->sessions.size();
  return stats;
}

}  // namespace callcast::http
