#include "http_client.hpp"

#include "core/random_id.hpp"
#include "digest_client.hpp"
// Asio and Beast through callcast's one switch for their GCC 12 -O2 warning.
#include "http/beast.hpp"

namespace callcast::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {}  // namespace

std::string HttpReply::describe() const {
  if (status == 0) return "no HTTP response (" + error + ")";
  return std::to_string(status) + " " + body.substr(0, 500);
}

HttpClient::HttpClient(core::HostPort server, std::chrono::milliseconds timeout)
    : server_(std::move(server)), timeout_(timeout) {}

HttpReply HttpClient::request(std::string_view method, std::string_view target,
                              std::string_view body, std::string_view authorization) const {
  HttpReply reply;
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  const auto address = asio::ip::make_address(server_.host, ec);
  if (ec) {
    reply.error = "bad host " + server_.host + ": " + ec.message();
    return reply;
  }

  bhttp::request<bhttp::string_body> request;
  request.method(bhttp::string_to_verb(beast::string_view(method.data(), method.size())));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(bhttp::field::host, core::to_string(server_));
  request.set(bhttp::field::user_agent, "callcast-bench");
  request.set(bhttp::field::connection, "close");
  if (!authorization.empty()) {
    request.set(bhttp::field::authorization,
                beast::string_view(authorization.data(), authorization.size()));
  }
  if (!body.empty()) {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::uint64_t{16} * 1024 * 1024);
  bool done = false;
  // The stream's own timeout bounds each step; the whole exchange runs on this thread.
  stream.expires_after(timeout_);
  stream.async_connect(asio::ip::tcp::endpoint(address, server_.port), [&](beast::error_code e) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    bhttp::async_write(stream, request, [&](beast::error_code we, std::size_t) {
      if (we) {
        ec = we;
        done = true;
        return;
      }
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code re, std::size_t) {
        ec = re;
        done = true;
      });
    });
  });
  io.run_for(timeout_ + std::chrono::seconds(1));
  if (!done) {
    reply.error = "timed out";
    return reply;
  }
  if (ec) {
    reply.error = ec.message();
    return reply;
  }
  const auto& response = parser.get();
  reply.status = static_cast<int>(response.result_int());
  reply.body = response.body();
  const auto [first, last] = response.equal_range(bhttp::field::www_authenticate);
  for (auto field = first; field != last; ++field) {
    reply.www_authenticate.emplace_back(field->value());
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return reply;
}

HttpReply HttpClient::request_with_digest(std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view user,
                                          std::string_view password) const {
  HttpReply first = request(method, target, body, {});
  if (first.status != 401) return first;
  const auto challenge = pick_digest_challenge(first.www_authenticate);
  if (!challenge) {
    first.error = "401 without a digest challenge this client can answer";
    return first;
  }
  const std::string authorization =
      digest_authorization(*challenge, user, password, method, target, core::random_hex_id());
  return request(method, target, body, authorization);
}

}  // namespace callcast::bench
