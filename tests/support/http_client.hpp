#pragma once
// A minimal blocking HTTP/1.1 client for callcastd's control API: one connection per request,
// every step bounded by a timeout, JSON bodies in and out. The HTTP is loadgen::HttpClient's.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace callcast::test {

struct HttpResult {
  int status = 0;     // 0: no response (see `error`)
  std::string error;  // connection or protocol failure
  std::string body;
  nlohmann::json json;  // the body parsed; discarded (is_discarded()) when it is not JSON

  // "POST /v1/groups -> 201 {...}" for failure messages.
  std::string describe() const;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(5));

  HttpResult request(std::string_view method, std::string_view target,
                     const std::optional<nlohmann::json>& body = std::nullopt) const;
  HttpResult get(std::string_view target) const { return request("GET", target); }
  HttpResult post(std::string_view target, const nlohmann::json& body) const {
    return request("POST", target, body);
  }
  HttpResult del(std::string_view target) const { return request("DELETE", target); }

 private:
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace callcast::test
