#include "loadgen/ready_line.hpp"

#include <charconv>
#include <set>

namespace callcast::loadgen {
namespace {

Result<core::HostPort, std::string> address(std::string_view field, std::string_view value) {
  auto parsed = core::parse_host_port(value);
  if (!parsed) return fail("ready line field " + std::string(field) + ": " + parsed.error());
  if (parsed->port == 0) return fail("ready line field " + std::string(field) + ": port 0");
  return std::move(parsed).value();
}

std::optional<std::uint16_t> port_of(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<ReadyLine, std::string> parse_ready_line(std::string_view line) {
  constexpr std::string_view kPrefix = "callcastd ready";
  if (!line.starts_with(kPrefix)) return fail("not a ready line: " + std::string(line));
  std::string_view rest = line.substr(kPrefix.size());
  ReadyLine ready;
  bool have_http = false;
  std::set<std::string, std::less<>> seen;
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::string_view field = rest.substr(0, rest.find(' '));
    rest.remove_prefix(field.size());
    const auto equals = field.find('=');
    if (equals == std::string_view::npos) {
      return fail("ready line field without '=': " + std::string(field));
    }
    const std::string_view key = field.substr(0, equals);
    const std::string_view value = field.substr(equals + 1);
    if (!seen.emplace(key).second) return fail("ready line field twice: " + std::string(key));
    if (key == "http" || key == "rtsp" || key == "sip") {
      auto parsed = address(field, value);
      if (!parsed) return fail(parsed.error());
      if (key == "http") {
        ready.http = *parsed;
        have_http = true;
      } else {
        (key == "rtsp" ? ready.rtsp : ready.sip) = *parsed;
      }
    } else if (key == "rtp") {
      const auto dash = value.find('-');
      const auto rtp = port_of(value.substr(0, dash));
      const auto rtcp =
          dash == std::string_view::npos ? std::nullopt : port_of(value.substr(dash + 1));
      if (!rtp || !rtcp)
        return fail("ready line field " + std::string(field) + ": not a port pair");
      ready.rtp_port = *rtp;
      ready.rtcp_port = *rtcp;
    } else {
      return fail("ready line field unknown: " + std::string(field));
    }
  }
  if (!have_http) return fail("ready line without http=: " + std::string(line));
  if (ready.rtsp.has_value() != (ready.rtp_port != 0)) {
    return fail("ready line with rtsp= but not rtp=, or the reverse: " + std::string(line));
  }
  return ready;
}

}  // namespace callcast::loadgen
