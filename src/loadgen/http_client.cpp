#include "loadgen/http_client.hpp"

#include "auth/digest_client.hpp"
#include "core/random_id.hpp"
#include "loadgen/http_connection.hpp"

namespace callcast::loadgen {

HttpClient::HttpClient(core::HostPort server, std::chrono::milliseconds timeout)
    : server_(std::move(server)), timeout_(timeout) {}

HttpReply HttpClient::request(std::string_view method, std::string_view target,
                              std::string_view body, std::string_view authorization) const {
  HttpConnection connection(server_, timeout_);
  std::vector<http::Header> headers = {{"User-Agent", "callcast-loadgen"}, {"Connection", "close"}};
  if (!authorization.empty()) headers.push_back({"Authorization", std::string(authorization)});
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  auto reply = connection.request(method, target, std::string(body), std::move(headers));
  if (!reply) {
    HttpReply failed;
    failed.error = connection.error();
    return failed;
  }
  return std::move(*reply);
}

HttpReply HttpClient::request_with_digest(std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view user,
                                          std::string_view password) const {
  HttpReply first = request(method, target, body, {});
  if (first.status != 401) return first;
  const auto choice = auth::choose_digest_challenge_of(first.header_values("WWW-Authenticate"));
  if (!choice) {
    first.error = "401 without a digest challenge this client can answer";
    return first;
  }
  const std::string authorization =
      auth::digest_authorization(*choice, user, password, method, target, core::random_hex_id());
  return request(method, target, body, authorization);
}

}  // namespace callcast::loadgen
