// Fuzzes the HTTP server's path handling (http/route_table.hpp): splitting a request path into
// segments, matching it against the route patterns and percent-decoding the {name} segments.
// Invariants: the segments join back to the path; a route that matches hands out parameters that,
// encoded again, match the same route; percent_decode undoes percent-encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/route_table.hpp"

using namespace callcast::http;

namespace {

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

const RouteTable& routes() {
  static const RouteTable table = [] {
    RouteTable t;
    const Handler ignore = [](const Request&, const Responder&) {};
    t.add("GET", "/healthz", ignore);
    t.add("GET", "/v1/groups/{group}", ignore);
    t.add("DELETE", "/v1/groups/{group}", ignore);
    t.add("DELETE", "/v1/groups/{group}/viewers/{viewer}", ignore);
    t.add("PUT", "/ut/v1/users/{number}/forwarding/unconditional", ignore);
    return t;
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view method = (data[0] & 1) != 0 ? "GET" : "DELETE";
  const std::string path(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto decoded = percent_decode(path);
  if (decoded && decoded->size() > path.size()) __builtin_trap();
  const auto round_trip = percent_decode(percent_encode(path));
  if (!round_trip || *round_trip != path) __builtin_trap();

  const RouteTable::Match match = routes().find(method, path);
  if (path.empty() || path.front() != '/') {
    if (match.handler != nullptr || match.malformed || !match.allowed.empty()) __builtin_trap();
    return 0;
  }
  std::string joined;
  for (const std::string_view segment : split_path(path))
    joined.append("/").append(segment);
  if (joined != path) __builtin_trap();

  if (match.handler != nullptr && match.params.count("group") == 1) {
    // The same group, encoded, reaches the same route with the same value.
    const auto again =
        routes().find(method, "/v1/groups/" + percent_encode(match.params.at("group")));
    if (match.params.size() == 1 &&
        (again.handler == nullptr || again.params.at("group") != match.params.at("group"))) {
      __builtin_trap();
    }
  }
  return 0;
}
