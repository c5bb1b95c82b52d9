#include "core/host_port.hpp"

#include <charconv>
#include <optional>
#include <system_error>

namespace callcast::core {

namespace {

// Port numbers: 1-5 decimal digits, at most 65535. No sign, no spaces.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

constexpr bool is_host_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

std::string in_quotes(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  out.append(text);
  out.push_back('"');
  return out;
}

bool is_valid_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!is_host_char(c)) return false;
  }
  return true;
}

bool is_valid_ipv6_host(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return false;
  const std::size_t percent = host.find('%');
  const std::string_view address = host.substr(0, percent);
  for (char c : address) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    if (!hex && c != ':' && c != '.') return false;
  }
  if (percent != std::string_view::npos) return is_valid_host(host.substr(percent + 1));
  return true;
}

Result<HostPort, std::string> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (text.empty()) return fail(std::string("empty address"));
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in " + in_quotes(text));
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (host.empty()) return fail("empty host in " + in_quotes(text));
    if (!is_valid_ipv6_host(host)) return fail("invalid IPv6 address in " + in_quotes(text));
    if (rest.empty() || rest.front() != ':') return fail("missing port in " + in_quotes(text));
    port_text = rest.substr(1);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing port in " + in_quotes(text));
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail("IPv6 addresses need brackets, as in \"[::1]:8554\": " + in_quotes(text));
    }
    if (host.empty()) return fail("empty host in " + in_quotes(text));
    if (!is_valid_host(host)) return fail("invalid host in " + in_quotes(text));
  }
  if (port_text.empty()) return fail("missing port in " + in_quotes(text));
  const auto port = parse_port(port_text);
  if (!port) return fail("invalid port (0-65535) in " + in_quotes(text));
  return HostPort{std::string(host), *port};
}

std::string to_string(const HostPort& address) {
  const std::string port = std::to_string(address.port);
  if (address.host.find(':') != std::string::npos) return "[" + address.host + "]:" + port;
  return address.host + ":" + port;
}

Result<PortPair, std::string> parse_port_pair(std::string_view text) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return fail("expected RTP-RTCP ports like \"8000-8001\", got " + in_quotes(text));
  }
  const auto rtp = parse_port(text.substr(0, dash));
  const auto rtcp = parse_port(text.substr(dash + 1));
  if (!rtp || !rtcp) return fail("invalid port (0-65535) in " + in_quotes(text));
  if (*rtp == 0 && *rtcp == 0) return PortPair{0, 0};
  if (*rtp == 0 || *rtcp != *rtp + 1) {
    return fail("the RTCP port must be the RTP port + 1 (or \"0-0\"), got " + in_quotes(text));
  }
  return PortPair{*rtp, *rtcp};
}

std::string to_string(const PortPair& ports) {
  return std::to_string(ports.rtp) + "-" + std::to_string(ports.rtcp);
}

}  // namespace callcast::core
