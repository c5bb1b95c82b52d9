#pragma once
// One TCP connection of the HTTP server: read a request, answer it, repeat while keep-alive
// holds (internal to src/http). Deadlines are core::Timers of the server's TimerFactory: when
// one passes, the socket is closed and the pending operation ends with operation_aborted.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/time_source.hpp"
#include "http/beast.hpp"
#include "http/http_server.hpp"

namespace callcast::http {

namespace detail {
struct ServerShared;
}  // namespace detail

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // On the server's loop thread.
  HttpSession(tcp::socket socket, std::shared_ptr<detail::ServerShared> shared);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void start() { read_header(); }
  void close();

 private:
  const ServerOptions& options() const;

  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  void dispatch();
  void invoke(const Handler& handler);
  void send_error(int status, const std::string& message);
  void send(Response response, bool close_after);
  void on_write(beast::error_code ec);
  void linger();
  void drain();
  // A deadline passed: counted as a timeout unless the connection was only lingering.
  void on_deadline();

  static constexpr std::size_t kMaxDrain = 1024 * 1024;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<detail::ServerShared> shared_;
  std::unique_ptr<core::Timer> deadline_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> response_;  // lives until written
  Request request_;
  std::string peer_address_;
  std::uint16_t peer_port_ = 0;
  bool keep_alive_ = false;
  bool close_after_ = false;
  bool lingering_ = false;
  bool timed_out_ = false;
  int status_ = 0;
  std::uint64_t generation_ = 0;  // which request a Responder belongs to
  core::SteadyClock::time_point started_;
  std::array<char, 4096> scratch_{};
  std::size_t drained_ = 0;
};

}  // namespace callcast::http
