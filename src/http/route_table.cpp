#include "http/route_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace callcast::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t begin = 1;
  while (true) {
    const std::size_t slash = path.find('/', begin);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(begin));
      return segments;
    }
    segments.push_back(path.substr(begin, slash - begin));
    begin = slash + 1;
  }
}

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int hi = hex_value(segment[i + 1]);
    const int lo = hex_value(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

void RouteTable::add(std::string method, std::string_view pattern, Handler handler) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{std::move(method), {}, std::move(handler)};
  for (std::string_view segment : split_path(pattern))
    route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

bool RouteTable::matches(const Route& route, const std::vector<std::string_view>& path) {
  if (route.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (is_param(want) ? path[i].empty() : want != path[i]) return false;
  }
  return true;
}

RouteTable::Match RouteTable::find(std::string_view method, std::string_view path) const {
  Match match;
  if (path.empty() || path.front() != '/') return match;
  const std::vector<std::string_view> segments = split_path(path);
  for (const Route& route : routes_) {
    if (!matches(route, segments)) continue;
    if (route.method != method) {
      if (std::find(match.allowed.begin(), match.allowed.end(), route.method) ==
          match.allowed.end()) {
        match.allowed.push_back(route.method);
      }
      continue;
    }
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (!is_param(route.segments[i])) continue;
      std::optional<std::string> value = percent_decode(segments[i]);
      if (!value) {
        match.malformed = true;
        return match;
      }
      const std::string& name = route.segments[i];
      match.params[name.substr(1, name.size() - 2)] = std::move(*value);
    }
    match.handler = &route.handler;
    return match;
  }
  return match;
}

}  // namespace callcast::http
