// The control API's client for the end-to-end tests: the load generator's HttpClient (one HTTP
// client for the bench and the tests), with JSON bodies in and out.
#include "support/http_client.hpp"

#include "loadgen/http_client.hpp"

namespace callcast::test {

std::string HttpResult::describe() const {
  if (status == 0) return "no HTTP response (" + error + ")";
  return std::to_string(status) + " " + body.substr(0, 2000);
}

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpResult HttpClient::request(std::string_view method, std::string_view target,
                               const std::optional<nlohmann::json>& body) const {
  const loadgen::HttpClient client(core::HostPort{host_, port_}, timeout_);
  // An empty JSON body still goes as a body: `{}` is not nothing.
  const loadgen::HttpReply reply =
      client.request(method, target, body ? body->dump() : std::string(), {});
  HttpResult result;
  result.status = reply.status;
  result.error = reply.error;
  result.body = reply.body;
  result.json = reply.json();
  return result;
}

}  // namespace callcast::test
