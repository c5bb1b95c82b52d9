#include "rtsp/rtsp_url.hpp"

#include <charconv>
#include <string_view>

namespace callcast::rtsp {

Result<RtspUrl, std::string> parse_rtsp_url(const std::string& url) {
  constexpr std::string_view kScheme = "rtsp://";
  if (url.rfind(kScheme, 0) != 0) return fail("not an rtsp:// URL: " + url);
  const std::size_t slash = url.find('/', kScheme.size());
  const std::string authority = url.substr(kScheme.size(), slash - kScheme.size());
  RtspUrl out;
  out.path_and_query = slash == std::string::npos ? "/" : url.substr(slash);
  const std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.find(']');
  if (colon == std::string::npos || (bracket != std::string::npos && bracket > colon)) {
    out.host = authority;
  } else {
    out.host = authority.substr(0, colon);
    const std::string digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.port);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return fail("bad port in " + url);
    }
  }
  if (out.host.size() > 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  return out;
}

std::string with_control(const std::string& url, const std::string& control) {
  const std::size_t query = url.find('?');
  const std::string base = url.substr(0, query);
  const std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + (base.ends_with('/') ? "" : "/") + control + rest;
}

}  // namespace callcast::rtsp
