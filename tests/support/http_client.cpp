// Boost.Beast stays in this file: the tests only see HttpClient.
#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace callcast::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string HttpResult::describe() const {
  if (status == 0) return "no HTTP response (" + error + ")";
  return std::to_string(status) + " " + body.substr(0, 2000);
}

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpResult HttpClient::request(std::string_view method, std::string_view target,
                               const std::optional<nlohmann::json>& body) const {
  HttpResult result;
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host_, ec);
  if (ec) {
    result.error = "bad host " + host_ + ": " + ec.message();
    return result;
  }

  http::request<http::string_body> request;
  request.method(http::string_to_verb(beast::string_view(method.data(), method.size())));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, host_ + ":" + std::to_string(port_));
  request.set(http::field::connection, "close");
  if (body) {
    request.set(http::field::content_type, "application/json");
    request.body() = body->dump();
  }
  request.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  bool done = false;
  // Each async step re-arms the stream's timeout; the whole exchange runs on this thread.
  stream.expires_after(timeout_);
  stream.async_connect(asio::ip::tcp::endpoint(address, port_), [&](beast::error_code e) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    stream.expires_after(timeout_);
    http::async_write(stream, request, [&](beast::error_code we, std::size_t) {
      if (we) {
        ec = we;
        done = true;
        return;
      }
      stream.expires_after(timeout_);
      http::async_read(stream, buffer, parser, [&](beast::error_code re, std::size_t) {
        ec = re;
        done = true;
      });
    });
  });
  io.run_for(timeout_ * 3);
  if (!done) {
    result.error = "timed out";
    return result;
  }
  if (ec) {
    result.error = ec.message();
    return result;
  }
  const auto& response = parser.get();
  result.status = static_cast<int>(response.result_int());
  result.body = response.body();
  result.json = nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return result;
}

}  // namespace callcast::test
