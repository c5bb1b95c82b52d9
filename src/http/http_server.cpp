#include "http/http_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <exception>
#include <limits>
#include <unordered_set>

#include "http/beast.hpp"

namespace callcast::http {

namespace {

class Session;

struct Route {
  std::string method;
  std::vector<std::string> segments;  // a literal, or "{name}"
  HttpServer::Handler handler;
};

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

// "/a/b/c" -> {"a", "b", "c"}; "/" -> {""}. Precondition: path starts with '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t begin = 1;
  while (true) {
    const std::size_t slash = path.find('/', begin);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(begin));
      return segments;
    }
    segments.push_back(path.substr(begin, slash - begin));
    begin = slash + 1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 section 2.1 percent-decoding of one path segment.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(const Route& route, const std::vector<std::string_view>& path) {
  if (route.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (is_param(want) ? path[i].empty() : want != path[i]) return false;
  }
  return true;
}

}  // namespace

namespace detail {

struct ServerShared {
  ServerShared(asio::io_context& io, ServerOptions opts)
      : options(opts), acceptor(io), retry_timer(io) {}

  ServerOptions options;
  std::vector<Route> routes;
  HttpServer::Filter filter;
  HttpServer::ErrorRenderer render_error = [](int status, std::string_view message) {
    Response response;
    response.status = status;
    response.body = std::string(message) + "\n";
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    return response;
  };
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // re-arms accept after a transient error (EMFILE)
  std::unordered_set<Session*> sessions;
  ServerStats stats;
  bool stopped = false;
};

}  // namespace detail

namespace {

using detail::ServerShared;

// One TCP connection: read a request, answer it, repeat while keep-alive holds.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerShared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      peer_address_ = peer.address().to_string();
      peer_port_ = peer.port();
    }
    shared_->sessions.insert(this);
  }
  ~Session() { shared_->sessions.erase(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read_header(); }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  const ServerOptions& options() const { return shared_->options; }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options().header_limit, std::numeric_limits<std::uint32_t>::max())));
    // The body limit is applied once the filter has seen the headers, so that an unauthorised
    // client gets its 401, not a 413. Not boost::none: Beast 1.74 compares a Content-Length
    // with an empty optional limit as "over the limit".
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    request_ = Request{};
    started_ = std::chrono::steady_clock::now();
    stream_.expires_after(options().read_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    // A read that completed just before stop() is still queued: the handlers' owners may already
    // be gone, so a stopped server dispatches nothing.
    if (shared_->stopped) return;
    started_ = std::chrono::steady_clock::now();
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
      return send_error(413, "the request body is larger than " +
                                 std::to_string(options().body_limit) + " bytes");
    }
    parser_->body_limit(options().body_limit);
    if (parser_->is_done()) return dispatch();

    const auto expect = header.find(bhttp::field::expect);
    if (expect != header.end() && iequals(to_std(expect->value()), "100-continue")) {
      continue_.emplace(bhttp::status::continue_, header.version());
      stream_.expires_after(options().write_timeout);
      bhttp::async_write(stream_, *continue_,
                         [self = shared_from_this()](beast::error_code wec, std::size_t) {
                           if (wec) return self->on_read_error(wec);
                           self->stream_.expires_after(self->options().read_timeout);
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    if (shared_->stopped) return;
    request_.body = std::move(parser_->get().body());
    dispatch();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        shared_->stopped) {
      return;  // the peer closed between requests, or we are stopping
    }
    if (ec == beast::error::timeout) {
      ++shared_->stats.timeouts;
      return;  // tcp_stream has closed the socket
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

  void dispatch() {
    if (request_.path.empty() || request_.path.front() != '/') {
      return send_error(400, "the request target must be an absolute path");
    }
    const std::vector<std::string_view> path = split_path(request_.path);
    std::vector<std::string_view> allowed;
    for (const Route& route : shared_->routes) {
      if (!matches(route, path)) continue;
      if (route.method != request_.method) {
        if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
          allowed.push_back(route.method);
        }
        continue;
      }
      for (std::size_t i = 0; i < path.size(); ++i) {
        if (!is_param(route.segments[i])) continue;
        std::optional<std::string> value = percent_decode(path[i]);
        if (!value) return send_error(400, "malformed percent-encoding in the request path");
        const std::string& name = route.segments[i];
        request_.params[name.substr(1, name.size() - 2)] = std::move(*value);
      }
      return invoke(route.handler);
    }
    if (!allowed.empty()) {
      std::string allow;
      for (std::string_view method : allowed) {
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

  void invoke(const HttpServer::Handler& handler) {
    // No deadline while the handler works: the read deadline must not cut it short.
    stream_.expires_never();
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

  void send_error(int status, const std::string& message) {
    send(shared_->render_error(status, message), /*close_after=*/true);
  }

  void send(Response response, bool close_after) {
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
    if (!bodiless) out.body() = std::move(response.body);
    out.keep_alive(!close_after_);
    out.prepare_payload();
    stream_.expires_after(options().write_timeout);
    bhttp::async_write(
        stream_, out,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    ++shared_->stats.requests;
    const auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_);
    spdlog::debug("http {} {} {} {:.1f} ms{}", request_.method.empty() ? "-" : request_.method,
                  request_.path.empty() ? "-" : request_.path, status_, elapsed.count(),
                  ec ? " (write failed: " + ec.message() + ")" : "");
    response_.reset();
    if (ec) {
      if (ec == beast::error::timeout) ++shared_->stats.timeouts;
      return;
    }
    if (shared_->stopped) return;
    if (close_after_) return linger();
    read_header();
  }

  // Half-close, then read and discard what the client still sends, so that closing with unread
  // data does not reset the connection before the client has read our answer.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(options().read_timeout, std::chrono::seconds(2)));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrain || self->shared_->stopped) {
                                return;
                              }
                              self->drain();
                            });
  }

  static constexpr std::size_t kMaxDrain = 1024 * 1024;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ServerShared> shared_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> response_;  // lives until written
  Request request_;
  std::string peer_address_;
  std::uint16_t peer_port_ = 0;
  bool keep_alive_ = false;
  bool close_after_ = false;
  int status_ = 0;
  std::uint64_t generation_ = 0;  // which request a Responder belongs to
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::array<char, 4096> scratch_{};
  std::size_t drained_ = 0;
};

void accept_next(const std::shared_ptr<ServerShared>& shared);

void on_accept(const std::shared_ptr<ServerShared>& shared, beast::error_code ec,
               tcp::socket socket) {
  if (shared->stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
    shared->retry_timer.expires_after(std::chrono::milliseconds(100));
    shared->retry_timer.async_wait([shared](beast::error_code wait_ec) {
      if (!wait_ec && !shared->stopped) accept_next(shared);
    });
    return;
  }
  if (shared->sessions.size() >= shared->options.max_connections) {
    ++shared->stats.connections_rejected;
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  } else {
    ++shared->stats.connections_accepted;
    std::make_shared<Session>(std::move(socket), shared)->start();
  }
  accept_next(shared);
}

void accept_next(const std::shared_ptr<ServerShared>& shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    on_accept(shared, ec, std::move(socket));
  });
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

Response Response::json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.set_header("Content-Type", "application/json");
  return response;
}

Response Response::empty(int status) {
  Response response;
  response.status = status;
  return response;
}

Response& Response::set_header(std::string name, std::string value) {
  for (Header& h : headers) {
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return *this;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

Responder::Responder(Sink sink, std::optional<Response> if_dropped)
    : slot_(std::make_shared<Slot>(std::move(sink), std::move(if_dropped))) {}

void Responder::operator()(Response response) const {
  if (slot_->done.exchange(true)) {
    assert(false && "a Responder was called twice");
    return;
  }
  slot_->sink(std::move(response));
}

bool Responder::responded() const {
  return slot_->done.load();
}

Responder::Slot::~Slot() {
  if (done.load()) return;
  try {
    sink(if_dropped ? std::move(*if_dropped) : Response::empty(500));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

bool is_loopback_address(std::string_view address) {
  beast::error_code ec;
  const asio::ip::address parsed = asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (parsed.is_v4()) return parsed.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = parsed.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
}

HttpServer::HttpServer(asio::io_context& io, std::size_t max_connections)
    : HttpServer(io, ServerOptions{.max_connections = max_connections}) {}

HttpServer::HttpServer(asio::io_context& io, ServerOptions options)
    : shared_(std::make_shared<ServerShared>(io, options)) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::route(std::string method, std::string pattern, Handler handler) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{std::move(method), {}, std::move(handler)};
  for (std::string_view segment : split_path(pattern))
    route.segments.emplace_back(segment);
  shared_->routes.push_back(std::move(route));
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
  shared_->retry_timer.cancel();
  // Closing completes each session's pending operation with an error; the session ends there.
  for (Session* session : shared_->sessions)
    session->close();
}

ServerStats HttpServer::stats() const {
  ServerStats stats = shared_->stats;
  stats.active_connections = shared_->sessions.size();
  return stats;
}

}  // namespace callcast::http
