// callcast's RTSP URLs (RFC 2326 §3.2: "rtsp:" "//" host [":" port] [abs_path]):
//
//   rtsp://127.0.0.1:8554/groups/13800000001/trackID=1?token=abc.def
//          \__ authority __/\_ /groups/<group>[/<control>] _/\_ query _/
//   rtsp://127.0.0.1:8554/groups/13800000001?token=abc.def/streamid=0   ffmpeg: control appended
//
// The query ends at the first '/' after '?': a token never holds one, so what follows can only
// be a control appended by the client.
#include "rtsp/group_url.hpp"

#include <algorithm>

#include "rtsp/text.hpp"

namespace callcast::rtsp {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::string_view kGroupsPrefix = "/groups/";
constexpr std::string_view kTokenKey = "token=";

constexpr bool is_alphanumeric(char c) {
  return text::is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Terminal numbers: [0-9A-Za-z+._-] (core/group_registry.hpp checks the length).
bool valid_group(std::string_view group) {
  return std::all_of(group.begin(), group.end(), [](char c) {
    return is_alphanumeric(c) || c == '+' || c == '.' || c == '_' || c == '-';
  });
}

// Track names such as "trackID=1", "streamid=0", "stream=0", "video".
bool valid_control(std::string_view control) {
  return std::all_of(control.begin(), control.end(), [](char c) {
    return is_alphanumeric(c) || c == '=' || c == '+' || c == '.' || c == '_' || c == '-' ||
           c == '~';
  });
}

// base64url "." base64url (core/token.hpp).
bool valid_token(std::string_view token) {
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return is_alphanumeric(c) || c == '-' || c == '_' || c == '.'; });
}

// The token of a query "a=1&token=T&b=2"; "" when absent.
Result<std::string, std::string> token_from_query(std::string_view query) {
  std::optional<std::string_view> token;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto parameter = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!parameter.starts_with(kTokenKey)) continue;
    if (token) return fail(std::string("more than one token"));
    token = parameter.substr(kTokenKey.size());
  }
  if (!token) return std::string();
  if (!valid_token(*token)) return fail(std::string("token has characters outside base64url"));
  return std::string(*token);
}

}  // namespace

Result<GroupUrl, std::string> parse_group_url(std::string_view uri) {
  if (uri.size() > kMaxUrlBytes) {
    return fail("URL longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  auto rest = uri;
  for (const std::string_view scheme : {"rtsp://", "rtsps://"}) {
    if (!text::istarts_with(rest, scheme)) continue;
    rest.remove_prefix(scheme.size());
    const auto path_start = rest.find_first_of("/?");
    if (path_start == 0 || rest.empty()) return fail(std::string("URL has no host"));
    rest = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    break;
  }
  const auto question = rest.find('?');
  auto path = rest.substr(0, question);
  auto query = question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
  if (!path.starts_with(kGroupsPrefix)) return fail(std::string("not under /groups/"));
  path.remove_prefix(kGroupsPrefix.size());

  const auto slash = path.find('/');
  const auto group = path.substr(0, slash);
  if (group.empty()) return fail(std::string("empty group"));
  if (!valid_group(group)) {
    return fail(std::string("group has characters outside [0-9A-Za-z+._-]"));
  }
  auto control = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  const auto query_slash = query.find('/');
  if (query_slash != std::string_view::npos) {
    if (!control.empty()) return fail(std::string("control both before and after the query"));
    control = query.substr(query_slash + 1);
    query = query.substr(0, query_slash);
  }
  if (control.find('/') != std::string_view::npos) {
    return fail(std::string("control has more than one path segment"));
  }
  if (!valid_control(control)) return fail(std::string("control has invalid characters"));

  auto token = token_from_query(query);
  if (!token) return fail(token.error());
  return GroupUrl{std::string(group), std::string(control), std::move(token).value()};
}

std::string make_group_url(std::string_view host, std::uint16_t port, std::string_view group,
                           std::string_view token, std::string_view control) {
  std::string url = "rtsp://";
  const bool bare_ipv6 = host.find(':') != std::string_view::npos && !host.starts_with('[');
  if (bare_ipv6) url += '[';
  url += host;
  if (bare_ipv6) url += ']';
  url += ':';
  url += std::to_string(port);
  url += kGroupsPrefix;
  url += group;
  if (!control.empty()) {
    url += '/';
    url += control;
  }
  if (!token.empty()) {
    url += "?token=";
    url += token;
  }
  return url;
}

}  // namespace callcast::rtsp
