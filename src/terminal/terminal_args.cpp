#include "terminal/terminal_args.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace callcast::terminal {

namespace {

template <class T>
bool parse_whole(std::string_view text, T& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

Result<FrameSize, std::string> parse_frame_size(std::string_view text) {
  const std::size_t x = text.find_first_of("xX");
  FrameSize size;
  if (x == std::string_view::npos || !parse_whole(text.substr(0, x), size.width) ||
      !parse_whole(text.substr(x + 1), size.height)) {
    return fail("size \"" + std::string(text) + "\" is not WIDTHxHEIGHT, e.g. 1280x720");
  }
  if (size.width < 16 || size.height < 16 || size.width > 4096 || size.height > 4096 ||
      size.width % 2 != 0 || size.height % 2 != 0) {
    return fail("size " + std::string(text) + " must be even, between 16x16 and 4096x4096");
  }
  return size;
}

Result<int, std::string> parse_bitrate_kbps(std::string_view text) {
  double scale = 1e-3;  // bit/s to kbit/s
  std::string_view digits = text;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
    scale = 1;
    digits.remove_suffix(1);
  } else if (!digits.empty() && (digits.back() == 'm' || digits.back() == 'M')) {
    scale = 1000;
    digits.remove_suffix(1);
  }
  double value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return fail("bitrate \"" + std::string(text) + "\" is not a number like 2M, 800k or 2000000");
  }
  const double kbps = value * scale;
  if (kbps < 50 || kbps > 100000) {
    return fail("bitrate " + std::string(text) + " is outside 50k..100M");
  }
  return static_cast<int>(std::lround(kbps));
}

std::string ServerAddress::host_port() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ServerAddress, std::string> parse_server(std::string_view text) {
  ServerAddress server;
  std::string_view rest = text;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("server \"" + std::string(text) + "\": no ]");
    server.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  } else {
    const std::size_t colon = rest.find(':');
    server.host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || !parse_whole(rest.substr(1), server.port) || server.port == 0) {
      return fail("server \"" + std::string(text) + "\" is not HOST or HOST:PORT");
    }
  }
  if (server.host.empty()) return fail("server \"" + std::string(text) + "\" has no host");
  return server;
}

Result<BindAddress, std::string> parse_bind(std::string_view text) {
  const auto bad = [&] {
    return fail("--bind \"" + std::string(text) + "\" is not HOST, HOST:PORT or [IPv6]:PORT");
  };
  BindAddress bind;
  std::string_view rest;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad();
    bind.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    bind.host = std::string(text);  // a bare IPv6 address: no port without brackets
  } else {
    const std::size_t colon = text.find(':');
    bind.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) rest = text.substr(colon);
  }
  if (!rest.empty() && (rest.front() != ':' || !parse_whole(rest.substr(1), bind.port))) {
    return bad();
  }
  if (bind.host.empty() || bind.host.find_first_of(" []") != std::string::npos) return bad();
  return bind;
}

std::string default_ut_url(const ServerAddress& server) {
  ServerAddress http = server;
  http.port = 8080;
  return "http://" + http.host_port();
}

}  // namespace callcast::terminal
