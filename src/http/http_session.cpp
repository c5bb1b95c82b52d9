#include "http/http_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <exception>
#include <limits>

#include "http/server_shared.hpp"

namespace callcast::http {

namespace {

std::string to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

HttpSession::HttpSession(tcp::socket socket, std::shared_ptr<detail::ServerShared> shared)
    : stream_(std::move(socket)),
      shared_(std::move(shared)),
      deadline_(shared_->timers.create_timer([this] { on_deadline(); })),
      started_(shared_->time.now()) {
  beast::error_code ec;
  const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    peer_address_ = peer.address().to_string();
    peer_port_ = peer.port();
  }
  shared_->sessions.insert(this);
}

HttpSession::~HttpSession() {
  shared_->sessions.erase(this);
}

void HttpSession::close() {
  deadline_->disable();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

const ServerOptions& HttpSession::options() const {
  return shared_->options;
}

void HttpSession::on_deadline() {
  if (!lingering_) {
    timed_out_ = true;
    ++shared_->stats.timeouts;
  }
  close();  // the pending read or write completes with operation_aborted
}

void HttpSession::read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options().header_limit, std::numeric_limits<std::uint32_t>::max())));
  // The body limit is applied once the filter has seen the headers, so that an unauthorised
  // client gets its 401, not a 413. Not boost::none: Beast 1.74 compares a Content-Length
  // with an empty optional limit as "over the limit".
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  request_ = Request{};
  started_ = shared_->time.now();
  // One deadline for the whole request (headers and body), and for the idle wait before it.
  deadline_->enable(options().read_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  // A read that completed just before stop() is still queued: the handlers' owners may already
  // be gone, so a stopped server dispatches nothing.
  if (shared_->stopped) return;
  started_ = shared_->time.now();
  const auto& header = parser_->get();
  keep_alive_ = header.keep_alive();
  request_.method = to_std(header.method_string());
  request_.target = to_std(header.target());
  request_.path = request_.target.substr(0, request_.target.find('?'));
  request_.peer_address = peer_address_;
  request_.peer_port = peer_port_;
  for (const auto& field : header) {
    request_.headers.push_back({to_std(field.name_string()), to_std(field.value())});
  }

  if (shared_->filter) {
    if (std::optional<Response> rejected = shared_->filter(request_)) {
      return send(std::move(*rejected), /*close_after=*/!parser_->is_done());
    }
  }
  const auto length = parser_->content_length();
  if (length && *length > options().body_limit) {
    ++shared_->stats.bad_requests;
    return send_error(
        413, "the request body is larger than " + std::to_string(options().body_limit) + " bytes");
  }
  parser_->body_limit(options().body_limit);
  if (parser_->is_done()) return dispatch();

  const auto expect = header.find(bhttp::field::expect);
  if (expect != header.end() && iequals(to_std(expect->value()), "100-continue")) {
    continue_.emplace(bhttp::status::continue_, header.version());
    deadline_->enable(options().write_timeout);
    bhttp::async_write(stream_, *continue_,
                       [self = shared_from_this()](beast::error_code wec, std::size_t) {
                         if (wec) return self->on_read_error(wec);
                         self->deadline_->enable(self->options().read_timeout);
                         self->read_body();
                       });
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  if (shared_->stopped) return;
  request_.body = std::move(parser_->get().body());
  dispatch();
}

void HttpSession::on_read_error(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
      shared_->stopped || timed_out_) {
    return;  // the peer closed between requests, a deadline passed, or we are stopping
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    ++shared_->stats.bad_requests;
    if (ec == bhttp::error::header_limit) {
      return send_error(431, "the request header is larger than " +
                                 std::to_string(options().header_limit) + " bytes");
    }
    if (ec == bhttp::error::body_limit) {
      return send_error(413, "the request body is larger than " +
                                 std::to_string(options().body_limit) + " bytes");
    }
    if (ec == bhttp::error::partial_message) return;  // the peer is gone
    return send_error(400, "malformed HTTP request: " + ec.message());
  }
  // Connection reset and the like: nothing to answer.
}

void HttpSession::dispatch() {
  if (request_.path.empty() || request_.path.front() != '/') {
    return send_error(400, "the request target must be an absolute path");
  }
  RouteTable::Match match = shared_->routes.find(request_.method, request_.path);
  if (match.malformed) return send_error(400, "malformed percent-encoding in the request path");
  if (match.handler != nullptr) {
    request_.params = std::move(match.params);
    return invoke(*match.handler);
  }
  if (!match.allowed.empty()) {
    std::string allow;
    for (std::string_view method : match.allowed) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    Response response = shared_->render_error(
        405, "method " + request_.method + " is not allowed on " + request_.path);
    response.set_header("Allow", allow);
    return send(std::move(response), false);
  }
  send_error(404, "no such resource: " + request_.path);
}

void HttpSession::invoke(const Handler& handler) {
  // No deadline while the handler works: the read deadline must not cut it short.
  deadline_->disable();
  ++generation_;
  // The sink moves its reference to the session into the posted completion, so that the
  // session is only ever released on its own thread, whichever thread answers.
  Responder responder(
      [self = shared_from_this(), executor = stream_.get_executor(),
       generation = generation_](Response response) mutable {
        asio::post(executor, [session = std::move(self), generation,
                              response = std::move(response)]() mutable {
          if (session->shared_->stopped || generation != session->generation_) return;
          session->send(std::move(response), false);
        });
      },
      shared_->render_error(500, "the request handler gave no response"));
  const Responder guard = responder;
  try {
    handler(request_, std::move(responder));
  } catch (const std::exception& e) {
    // A throwing handler must not take the io_context (and every other client) down with it.
    spdlog::error("http: handler for {} {} threw: {}", request_.method, request_.path, e.what());
    if (!guard.responded()) guard(shared_->render_error(500, "internal error"));
  }
}

void HttpSession::send_error(int status, const std::string& message) {
  send(shared_->render_error(status, message), /*close_after=*/true);
}

void HttpSession::send(Response response, bool close_after) {
  if (response.status < 100 || response.status > 999) {
    assert(false && "HTTP status out of range");
    response.status = 500;
  }
  status_ = response.status;
  close_after_ = close_after || !keep_alive_ || shared_->stopped;
  response_.emplace();
  auto& out = *response_;
  out.version(11);
  out.result(static_cast<unsigned>(response.status));
  for (Header& header : response.headers)
    out.insert(header.name, header.value);
  out.set(bhttp::field::server, "callcast");
  const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  // RFC 9110 section 9.3.2: HEAD gets GET's headers, Content-Length included, and no body.
  const bool head = request_.method == "HEAD";
  if (!bodiless && !head) out.body() = std::move(response.body);
  out.keep_alive(!close_after_);
  out.prepare_payload();
  if (!bodiless && head) out.content_length(response.body.size());
  deadline_->enable(options().write_timeout);
  bhttp::async_write(stream_, out, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_write(ec);
  });
}

void HttpSession::on_write(beast::error_code ec) {
  ++shared_->stats.requests;
  const auto elapsed = std::chrono::duration<double, std::milli>(shared_->time.now() - started_);
  spdlog::debug("http {} {} {} {:.1f} ms{}", request_.method.empty() ? "-" : request_.method,
                request_.path.empty() ? "-" : request_.path, status_, elapsed.count(),
                ec ? " (write failed: " + ec.message() + ")" : "");
  response_.reset();
  if (ec || shared_->stopped) return;  // a write deadline was counted by on_deadline
  if (close_after_) return linger();
  read_header();
}

// Half-close, then read and discard what the client still sends, so that closing with unread
// data does not reset the connection before the client has read our answer.
void HttpSession::linger() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return;
  lingering_ = true;
  deadline_->enable(
      std::min<std::chrono::milliseconds>(options().read_timeout, std::chrono::seconds(2)));
  drain();
}

void HttpSession::drain() {
  stream_.async_read_some(asio::buffer(scratch_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->drained_ += n;
                            if (ec || self->drained_ > kMaxDrain || self->shared_->stopped) {
                              return;
                            }
                            self->drain();
                          });
}

}  // namespace callcast::http
