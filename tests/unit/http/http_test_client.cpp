#include "http_test_client.hpp"

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cctype>

namespace callcast::http::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string> Reply::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

nlohmann::json Reply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

struct TestClient::Impl {
  explicit Impl(std::chrono::milliseconds t) : timeout(t) {}

  // Runs the operation started by `start` to completion (or to the timeout).
  template <class Start>
  void run(Start start) {
    stream.expires_after(timeout);
    start();
    io.restart();
    io.run();
  }

  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
  bool connected = false;
};

TestClient::TestClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(timeout)) {
  const asio::ip::tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  beast::error_code result;
  impl_->run(
      [&] { impl_->stream.async_connect(server, [&](beast::error_code ec) { result = ec; }); });
  impl_->connected = !result;
}

TestClient::~TestClient() = default;

bool TestClient::connected() const {
  return impl_->connected;
}

std::optional<Reply> TestClient::request(std::string_view method, std::string_view target,
                                         std::string body, std::vector<Header> headers) {
  if (!send_request(method, target, std::move(body), std::move(headers))) return std::nullopt;
  return read_reply();
}

bool TestClient::send_request(std::string_view method, std::string_view target, std::string body,
                              std::vector<Header> headers, bool chunked) {
  bhttp::request<bhttp::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(bhttp::field::host, "127.0.0.1");
  for (const Header& h : headers)
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
  return !result;
}

bool TestClient::send_raw(std::string_view bytes) {
  beast::error_code result;
  impl_->run([&] {
    asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code ec, std::size_t) { result = ec; });
  });
  return !result;
}

std::optional<Reply> TestClient::read_reply() {
  bhttp::response<bhttp::string_body> response;
  beast::error_code result;
  impl_->run([&] {
    bhttp::async_read(impl_->stream, impl_->buffer, response,
                      [&](beast::error_code ec, std::size_t) { result = ec; });
  });
  if (result) return std::nullopt;
  Reply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    reply.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  reply.body = std::move(response.body());
  return reply;
}

bool TestClient::wait_for_close() {
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

}  // namespace callcast::http::test
