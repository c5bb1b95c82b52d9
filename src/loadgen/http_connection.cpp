#include "loadgen/http_connection.hpp"

#include <array>

// Asio and Beast through callcast's one switch for their GCC 12 -O2 warning.
#include "http/beast.hpp"

namespace callcast::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {
constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{16} * 1024 * 1024;
}  // namespace

struct HttpConnection::Impl {
  Impl(core::HostPort s, std::chrono::milliseconds t) : server(std::move(s)), timeout(t) {}

  // Runs the operation started by `start` to completion; the stream's expiry bounds it.
  template <class Start>
  void run(Start start) {
    stream.expires_after(timeout);
    start();
    io.restart();
    io.run();
  }

  core::HostPort server;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;
  std::string error;
};

HttpConnection::HttpConnection(core::HostPort server, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(server), timeout)) {
  beast::error_code result;
  const auto address = asio::ip::make_address(impl_->server.host, result);
  if (result) {
    impl_->error = "bad host " + impl_->server.host + ": " + result.message();
    return;
  }
  const asio::ip::tcp::endpoint endpoint(address, impl_->server.port);
  impl_->run(
      [&] { impl_->stream.async_connect(endpoint, [&](beast::error_code ec) { result = ec; }); });
  impl_->connected = !result;
  if (result) impl_->error = "connect: " + result.message();
}

HttpConnection::HttpConnection(std::uint16_t loopback_port, std::chrono::milliseconds timeout)
    : HttpConnection(core::HostPort{"127.0.0.1", loopback_port}, timeout) {}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const {
  return impl_->connected;
}

const std::string& HttpConnection::error() const {
  return impl_->error;
}

std::optional<HttpReply> HttpConnection::request(std::string_view method, std::string_view target,
                                                 std::string body,
                                                 std::vector<http::Header> headers) {
  if (!send_request(method, target, std::move(body), std::move(headers))) return std::nullopt;
  return read_reply();
}

bool HttpConnection::send_request(std::string_view method, std::string_view target,
                                  std::string body, std::vector<http::Header> headers,
                                  bool chunked) {
  if (!impl_->connected) return false;
  bhttp::request<bhttp::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(bhttp::field::host, core::to_string(impl_->server));
  for (const http::Header& h : headers)
    request.set(h.name, h.value);
  request.body() = std::move(body);
  if (chunked) {
    request.chunked(true);
  } else {
    request.prepare_payload();
  }
  beast::error_code result;
  impl_->run([&] {
    bhttp::async_write(impl_->stream, request,
                       [&](beast::error_code ec, std::size_t) { result = ec; });
  });
  if (result) impl_->error = "send: " + result.message();
  return !result;
}

bool HttpConnection::send_raw(std::string_view bytes) {
  if (!impl_->connected) return false;
  beast::error_code result;
  impl_->run([&] {
    asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code ec, std::size_t) { result = ec; });
  });
  if (result) impl_->error = "send: " + result.message();
  return !result;
}

std::optional<HttpReply> HttpConnection::read_reply() {
  if (!impl_->connected) return std::nullopt;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  beast::error_code result;
  impl_->run([&] {
    bhttp::async_read(impl_->stream, impl_->buffer, parser,
                      [&](beast::error_code ec, std::size_t) { result = ec; });
  });
  if (result) {
    impl_->error = result == beast::error::timeout ? "timed out" : "read: " + result.message();
    return std::nullopt;
  }
  auto& response = parser.get();
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    reply.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  reply.body = std::move(response.body());
  return reply;
}

bool HttpConnection::wait_for_close() {
  if (!impl_->connected) return true;
  std::array<char, 4096> scratch{};
  while (true) {
    beast::error_code result;
    impl_->run([&] {
      impl_->stream.async_read_some(asio::buffer(scratch),
                                    [&](beast::error_code ec, std::size_t) { result = ec; });
    });
    if (!result) continue;
    return result != beast::error::timeout;
  }
}

}  // namespace callcast::loadgen
