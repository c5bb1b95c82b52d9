#pragma once
// One HTTP request and its response on a connection of its own, for HttpMediaControl (internal
// to src/http): the whole of it (name resolution, connect, write, read) bounded by one deadline.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/beast.hpp"
#include "http/http_media_control.hpp"

namespace callcast::http {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

using ExchangeDone = std::function<void(Result<HttpReply, std::string>)>;

class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  // body_limit: a longer answer fails. `done` runs once on `io`, unless abort() came first.
  HttpExchange(asio::io_context& io, bhttp::request<bhttp::string_body> request,
               std::chrono::milliseconds timeout, std::size_t body_limit, ExchangeDone done);

  void start(const MediaEndpoint& endpoint);
  // No callback after this.
  void abort();

 private:
  void connect(const std::vector<tcp::endpoint>& endpoints);
  void write();
  void read();
  void read_body();
  void on_deadline();
  void finish_with(beast::error_code ec);
  void finish(Result<HttpReply, std::string> result);
  void close();

  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  std::chrono::milliseconds timeout_;
  std::size_t body_limit_;
  ExchangeDone done_;
  bool timed_out_ = false;
};

}  // namespace callcast::http
