#pragma once
// The HTTP server's routes: method + path pattern -> handler. A pattern's segments are literals
// or {name}; a {name} matches one non-empty segment, handed to the handler percent-decoded.
// Routes are tried in the order they were added; adding one (e.g. GET /metrics) is one call.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.hpp"
#include "http/responder.hpp"

namespace callcast::http {

using Handler = std::function<void(const Request&, Responder)>;

// "/a/b/c" -> {"a", "b", "c"}; "/" -> {""}. Precondition: path starts with '/'.
std::vector<std::string_view> split_path(std::string_view path);
// RFC 3986 section 2.1 percent-decoding of one path segment; nullopt when a '%' is not followed
// by two hex digits. Untrusted input (tests/fuzz/http_path_fuzz.cpp).
std::optional<std::string> percent_decode(std::string_view segment);

class RouteTable {
 public:
  // What a request's method and path found.
  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see allowed) or path
    std::map<std::string, std::string, std::less<>> params;  // {name} -> decoded segment
    std::vector<std::string> allowed;  // methods of the routes the path matches (for 405)
    bool malformed = false;            // a {name} segment's percent-encoding is broken (400)
  };

  // pattern: starts with '/'.
  void add(std::string method, std::string_view pattern, Handler handler);
  // path: starts with '/', without the query.
  Match find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // a literal, or "{name}"
    Handler handler;
  };
  static bool matches(const Route& route, const std::vector<std::string_view>& path);

  std::vector<Route> routes_;
};

}  // namespace callcast::http
