#include "forwarding/ut_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "auth/digest_client.hpp"
#include "core/group_registry.hpp"
#include "core/random_id.hpp"
#include "http/beast.hpp"
#include "http/http_media_control.hpp"

namespace callcast::forwarding {

namespace asio = http::asio;
namespace beast = http::beast;
namespace bhttp = http::bhttp;
using http::tcp;
using Clock = std::chrono::steady_clock;

struct UtClient::Reply {
  unsigned status = 0;
  std::string reason;
  std::vector<std::string> challenges;  // the WWW-Authenticate values, in order
  std::string body;
  bool authenticated = false;  // answered to a request that carried our Authorization
};

namespace {

// A server's text inside our one-line errors: no control characters, bounded.
std::string printable(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (const char c : text.substr(0, max)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
  }
  if (text.size() > max) out += "...";
  return out;
}

// The "message" of the API's {"error":..,"message":..} body, or the start of whatever else a
// server or proxy sent.
std::string message_of(const std::string& body) {
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_object()) {
    const auto message = document.find("message");
    if (message != document.end() && message->is_string()) {
      return printable(message->get<std::string>());
    }
  }
  return printable(body);
}

// Runs `io` until the operation started before it completed; the stream's expiry (or the
// resolver's timer) guarantees that it does.
void run(asio::io_context& io) {
  io.restart();
  io.run();
}

}  // namespace

Result<UtClient, std::string> UtClient::create(UtClientOptions options) {
  auto endpoint = http::HttpMediaControl::parse_url(options.base_url);
  if (!endpoint) return fail("Ut server URL " + endpoint.error());
  if (!core::is_valid_number(options.number)) {
    return fail("Ut: \"" + printable(options.number) + "\" is not a valid number");
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return fail(std::string("Ut: the timeout must be positive"));
  }
  return UtClient(std::move(options), endpoint->host, endpoint->port, endpoint->base_url);
}

UtClient::UtClient(UtClientOptions options, std::string host, std::uint16_t port,
                   std::string base_url)
    : options_(std::move(options)),
      host_(std::move(host)),
      port_(port),
      base_url_(std::move(base_url)),
      path_("/ut/v1/users/" + options_.number + "/forwarding/unconditional") {}

Result<bool, std::string> UtClient::set_unconditional(const std::string& target) {
  auto reply = authenticated_call("PUT", nlohmann::json{{"target", target}}.dump());
  if (!reply) return fail(reply.error());
  if (reply->status != 200 && reply->status != 201) return fail(failure(*reply));
  spdlog::info("ut: terminal={} step=708 event=forwarding_set target={} server={}", options_.number,
               core::is_valid_number(target) ? target : "-", base_url_);
  return true;
}

Result<bool, std::string> UtClient::clear_unconditional() {
  auto reply = authenticated_call("DELETE", {});
  if (!reply) return fail(reply.error());
  const bool absent = reply->status == 404 && reply->authenticated;
  if (reply->status != 200 && reply->status != 204 && !absent) return fail(failure(*reply));
  spdlog::info("ut: terminal={} step=708 event=forwarding_cleared server={}", options_.number,
               base_url_);
  return true;
}

Result<std::optional<std::string>, std::string> UtClient::unconditional() {
  auto reply = authenticated_call("GET", {});
  if (!reply) return fail(reply.error());
  // Only a 404 to our authenticated request says "no rule": one before it (no challenge at all)
  // means there is no Ut API at that address.
  if (reply->status == 404 && reply->authenticated) return std::optional<std::string>();
  if (reply->status != 200) return fail(failure(*reply));
  const nlohmann::json rule = nlohmann::json::parse(reply->body, nullptr, false);
  const auto target = rule.is_object() ? rule.find("target") : rule.end();
  if (!rule.is_object() || target == rule.end() || !target->is_string()) {
    return fail("Ut server " + base_url_ +
                " sent a rule that is not {\"target\":\"<number>\"}: " + printable(reply->body));
  }
  return std::optional<std::string>(target->get<std::string>());
}

Result<UtClient::Reply, std::string> UtClient::authenticated_call(const std::string& method,
                                                                  std::string body) {
  const Clock::time_point deadline = Clock::now() + options_.timeout;
  auto reply = round_trip(method, body, std::nullopt, deadline);
  // A server that answers without asking for credentials: the caller reads its status.
  if (!reply || reply->status != 401) return reply;

  bool retried_stale = false;
  for (;;) {
    const std::optional<auth::DigestChoice> choice =
        auth::choose_digest_challenge_of(reply->challenges);
    if (!choice) {
      return fail("Ut server " + base_url_ + " answered 401 without a digest challenge we can " +
                  "answer (MD5 or SHA-256 with qop=auth): " +
                  (reply->challenges.empty() ? std::string("no WWW-Authenticate")
                                             : printable(reply->challenges.front())));
    }
    if (reply->authenticated) {
      // stale=true: the password was right but the nonce expired between our two requests;
      // worth one more try, not a loop.
      if (!choice->challenge.stale || retried_stale) {
        spdlog::warn("ut: terminal={} event=auth_refused server={}", options_.number, base_url_);
        return fail("Ut: wrong password for " + options_.number + ", or no such user (401 from " +
                    base_url_ + ")");
      }
      retried_stale = true;
    }
    reply = round_trip(method, body,
                       auth::digest_authorization(*choice, options_.number, options_.password,
                                                  method, path_, core::random_hex_id()),
                       deadline);
    if (!reply) return reply;
    reply->authenticated = true;
    if (reply->status != 401) return reply;
  }
}

Result<UtClient::Reply, std::string> UtClient::round_trip(
    const std::string& method, const std::string& body,
    const std::optional<std::string>& authorization, Clock::time_point deadline) const {
  const std::string within = std::to_string(options_.timeout.count()) + " ms";
  asio::io_context io;
  beast::error_code ec;

  std::vector<tcp::endpoint> endpoints;
  const asio::ip::address address = asio::ip::make_address(host_, ec);
  if (!ec) {
    endpoints.emplace_back(address, port_);
  } else {
    // The resolver is not a stream, so its deadline is a timer of its own. A cancelled
    // resolution may still hold the resolver's thread until getaddrinfo returns.
    tcp::resolver resolver(io);
    asio::steady_timer timer(io, deadline);
    bool timed_out = false;
    timer.async_wait([&](beast::error_code timer_ec) {
      if (timer_ec) return;
      timed_out = true;
      resolver.cancel();
    });
    resolver.async_resolve(host_, std::to_string(port_),
                           [&](beast::error_code resolve_ec, const tcp::resolver::results_type& r) {
                             ec = resolve_ec;
                             endpoints.assign(r.begin(), r.end());
                             timer.cancel();
                           });
    run(io);
    if (timed_out)
      return fail("Ut server " + base_url_ + " unreachable: no address within " + within);
    if (ec) return fail("Ut server " + base_url_ + " unreachable: " + ec.message());
  }

  beast::tcp_stream stream(io);
  const auto store = [&ec](beast::error_code result, const auto&...) { ec = result; };
  stream.expires_at(deadline);
  stream.async_connect(endpoints, store);
  run(io);
  if (ec == beast::error::timeout) {
    return fail("Ut server " + base_url_ + " unreachable: no connection within " + within);
  }
  if (ec) return fail("Ut server " + base_url_ + " unreachable: " + ec.message());

  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), path_, 11};
  request.set(bhttp::field::host, base_url_.substr(std::string_view("http://").size()));
  request.set(bhttp::field::user_agent, "callcast");
  if (authorization) request.set(bhttp::field::authorization, *authorization);
  if (!body.empty()) {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
  }
  request.keep_alive(false);
  request.prepare_payload();
  stream.expires_at(deadline);
  bhttp::async_write(stream, request, store);
  run(io);
  if (ec && ec != beast::error::timeout) {
    return fail("Ut server " + base_url_ + " dropped the connection: " + ec.message());
  }

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  // The header first, then the body: Beast 1.74's eager parse (what async_read does) loses the
  // body_limit error of a too large Content-Length and goes on to reserve that many bytes.
  if (!ec) {
    stream.expires_at(deadline);
    bhttp::async_read_header(stream, buffer, parser, store);
    run(io);
  }
  if (!ec && parser.content_length().value_or(0) > kMaxBodyBytes) ec = bhttp::error::body_limit;
  if (!ec && !parser.is_done()) {
    stream.expires_at(deadline);
    bhttp::async_read(stream, buffer, parser, store);
    run(io);
  }
  if (ec == beast::error::timeout) {
    return fail("Ut server " + base_url_ + " did not answer within " + within);
  }
  if (ec == bhttp::error::body_limit) {
    return fail("Ut server " + base_url_ + " sent a response body over " +
                std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (ec) {
    return fail("Ut server " + base_url_ + " sent no valid HTTP response: " + ec.message());
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  const auto& response = parser.get();
  Reply reply;
  reply.status = response.result_int();
  const beast::string_view reason = response.reason();
  reply.reason = printable(std::string_view(reason.data(), reason.size()));
  const auto [first, last] = response.equal_range(bhttp::field::www_authenticate);
  for (auto field = first; field != last; ++field)
    reply.challenges.emplace_back(field->value());
  reply.body = response.body();
  return reply;
}

std::string UtClient::failure(const Reply& reply) const {
  const std::string message = message_of(reply.body);
  const std::string status = std::to_string(reply.status) + " " + reply.reason;
  if (reply.status == 403) {
    return "Ut: " + status + " for " + options_.number + " from " + base_url_ + ": " + message;
  }
  if (reply.status == 404 && !reply.authenticated) {
    return "Ut: 404 from " + base_url_ + ", no Ut API there? " + message;
  }
  return "Ut: " + status + " from " + base_url_ + (message.empty() ? "" : ": " + message);
}

}  // namespace callcast::forwarding
