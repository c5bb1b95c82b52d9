#pragma once
// One HTTP response as the blocking clients (HttpConnection, HttpClient) hand it out: the status,
// every header in order, the body; or, when there was no response, why.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_server.hpp"

namespace callcast::loadgen {

struct HttpReply {
  int status = 0;     // 0: no response (see `error`)
  std::string error;  // connection, timeout or protocol failure
  std::vector<http::Header> headers;
  std::string body;

  // The first value of header `name` (case-insensitive); nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
  // Every value of header `name`, in order (e.g. one WWW-Authenticate per challenge).
  std::vector<std::string> header_values(std::string_view name) const;
  // The body parsed as JSON; a discarded value (is_discarded()) when it is not JSON.
  nlohmann::json json() const;
  // "201 {...}" or "no HTTP response (Connection refused)", for error messages.
  std::string describe() const;
};

}  // namespace callcast::loadgen
