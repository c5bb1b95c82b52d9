#pragma once
// The plain request and response the HTTP server's route handlers see: no Beast, no Asio.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // as sent, query included
  std::string path;    // the target up to '?'
  std::vector<Header> headers;
  std::string body;
  std::string peer_address;  // "127.0.0.1", "::1", "::ffff:127.0.0.1"
  std::uint16_t peer_port = 0;
  // Values of the route pattern's {name} segments, percent-decoded.
  std::map<std::string, std::string, std::less<>> params;

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // A {name} segment of the matched route; empty when the route has none of that name.
  std::string_view param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;  // Content-Length, Connection and Server are set by the server
  std::string body;

  static Response json(int status, std::string body);
  static Response empty(int status);  // e.g. 204
  Response& set_header(std::string name, std::string value);
};

// ASCII case-insensitive comparison, as HTTP compares header names and tokens.
bool iequals(std::string_view a, std::string_view b);

}  // namespace callcast::http
