// The Transport header, RFC 2326 §12.39:
//
//   Transport       = "Transport" ":" 1#transport-spec
//   transport-spec  = transport-protocol "/" profile ["/" lower-transport] *(";" parameter)
//   parameter       = ("unicast" | "multicast") | "destination" ["=" address]
//                   | "interleaved" "=" channel ["-" channel] | "ttl" "=" ttl
//                   | "port" "=" port ["-" port] | "client_port" "=" port ["-" port]
//                   | "server_port" "=" port ["-" port] | "ssrc" "=" ssrc   (8*8 HEX)
//                   | "mode" "=" <"> 1#mode <"> | "mode" "=" mode | "append" | ...
//
//   e.g. RTP/AVP/TCP;unicast;interleaved=0-1;mode=record, RTP/AVP;unicast;client_port=5000-5001
//
// Quoted strings may hold ',' and ';', so both splits skip over them. Parameter names and the
// protocol are case-insensitive; destination and source are kept as written.
#include "rtsp/transport_header.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "rtsp/text.hpp"

namespace callcast::rtsp {
namespace {

using PortPair = std::pair<std::uint16_t, std::uint16_t>;
using ChannelPair = std::pair<std::uint8_t, std::uint8_t>;

// Splits at `separator` outside double quotes. nullopt when a quote is left open.
std::optional<std::vector<std::string_view>> split_outside_quotes(std::string_view s,
                                                                  char separator) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == separator && !quoted) {
      parts.push_back(s.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  if (quoted) return std::nullopt;
  parts.push_back(s.substr(begin));
  return parts;
}

// "a-b", or "a" alone meaning a-(a+1) since RTP takes the even port and RTCP the next one.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view value,
                                                                   std::uint64_t min,
                                                                   std::uint64_t max) {
  const auto dash = value.find('-');
  const auto first = text::parse_decimal(value.substr(0, dash), max);
  if (!first || *first < min) return std::nullopt;
  if (dash == std::string_view::npos) {
    if (*first == max) return std::nullopt;
    return std::pair{*first, *first + 1};
  }
  const auto second = text::parse_decimal(value.substr(dash + 1), max);
  if (!second || *second < min) return std::nullopt;
  return std::pair{*first, *second};
}

std::optional<PortPair> parse_ports(std::string_view value) {
  const auto range = parse_range(value, 1, 65535);
  if (!range) return std::nullopt;
  return PortPair{static_cast<std::uint16_t>(range->first),
                  static_cast<std::uint16_t>(range->second)};
}

std::optional<ChannelPair> parse_channels(std::string_view value) {
  const auto range = parse_range(value, 0, 255);
  if (!range) return std::nullopt;
  return ChannelPair{static_cast<std::uint8_t>(range->first),
                     static_cast<std::uint8_t>(range->second)};
}

// RFC 2326 writes 8 hex digits; shorter values and leading zeros are taken too.
std::optional<std::uint32_t> parse_ssrc(std::string_view value) {
  while (value.size() > 1 && value.front() == '0') {
    value.remove_prefix(1);
  }
  if (value.empty() || value.size() > 8) return std::nullopt;
  std::uint32_t ssrc = 0;
  for (const char c : value) {
    const char lower = text::to_lower(c);
    std::uint32_t digit = 0;
    if (text::is_digit(lower)) {
      digit = static_cast<std::uint32_t>(lower - '0');
    } else if (lower >= 'a' && lower <= 'f') {
      digit = static_cast<std::uint32_t>(lower - 'a' + 10);
    } else {
      return std::nullopt;
    }
    ssrc = (ssrc << 4) | digit;
  }
  return ssrc;
}

// An IPv4 or IPv6 address or a host name, bracketed or not.
bool valid_address(std::string_view address) {
  return std::all_of(address.begin(), address.end(), [](char c) {
    return text::is_digit(c) || (text::to_lower(c) >= 'a' && text::to_lower(c) <= 'z') ||
           c == '.' || c == ':' || c == '-' || c == '_' || c == '%' || c == '[' || c == ']';
  });
}

std::string lower_case(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), text::to_lower);
  return out;
}

// "RTP/AVP", "RTP/AVP/UDP", "RTP/AVP/TCP"; an unknown profile ("RAW/RAW/UDP") is kept so that
// the server can answer 461 Unsupported Transport rather than 400.
Result<TransportSpec, std::string> parse_protocol(std::string_view protocol) {
  TransportSpec spec;
  const auto first = protocol.find('/');
  if (first == std::string_view::npos) {
    return fail("transport '" + std::string(protocol) + "' has no profile");
  }
  const auto second = protocol.find('/', first + 1);
  const auto transport_protocol = protocol.substr(0, first);
  const auto profile = protocol.substr(first + 1, second - first - 1);
  if (!text::is_token(transport_protocol) || !text::is_token(profile)) {
    return fail("transport '" + std::string(protocol) + "' is not protocol/profile");
  }
  spec.profile.clear();
  for (const char c : protocol.substr(0, second)) {
    spec.profile += text::to_upper(c);
  }
  if (second != std::string_view::npos) {
    const auto lower = protocol.substr(second + 1);
    if (text::iequals(lower, "TCP")) {
      spec.lower = LowerTransport::tcp;
    } else if (!text::iequals(lower, "UDP")) {
      return fail("lower transport '" + std::string(lower) + "' is neither UDP nor TCP");
    }
  }
  return spec;
}

// Returns why the parameter is malformed, "" when it is fine or unknown (and so ignored).
std::string apply_parameter(std::string_view parameter, TransportSpec& spec) {
  const auto equals = parameter.find('=');
  const auto name = text::trim(parameter.substr(0, equals));
  const auto value = equals == std::string_view::npos ? std::string_view{}
                                                      : text::trim(parameter.substr(equals + 1));
  const bool has_value = equals != std::string_view::npos;
  const auto bad = [&] { return "malformed transport parameter '" + std::string(parameter) + "'"; };

  if (text::iequals(name, "unicast") || text::iequals(name, "multicast")) {
    if (has_value) return bad();
    spec.unicast = text::iequals(name, "unicast");
  } else if (text::iequals(name, "client_port") || text::iequals(name, "server_port")) {
    const auto ports = parse_ports(value);
    if (!ports) return bad();
    (text::iequals(name, "client_port") ? spec.client_port : spec.server_port) = ports;
  } else if (text::iequals(name, "interleaved")) {
    spec.interleaved = parse_channels(value);
    if (!spec.interleaved) return bad();
  } else if (text::iequals(name, "ssrc")) {
    spec.ssrc = parse_ssrc(value);
    if (!spec.ssrc) return bad();
  } else if (text::iequals(name, "mode")) {
    auto mode = value;
    if (mode.size() >= 2 && mode.front() == '"' && mode.back() == '"') {
      mode = text::trim(mode.substr(1, mode.size() - 2));
    }
    if (!text::is_token(mode)) return bad();
    spec.mode = lower_case(mode);
  } else if (text::iequals(name, "destination") || text::iequals(name, "source")) {
    // "destination" alone means the address the request came from; "source" needs a value.
    const bool bare_destination = !has_value && text::iequals(name, "destination");
    if (!valid_address(value) || (value.empty() && !bare_destination)) return bad();
    (text::iequals(name, "destination") ? spec.destination : spec.source) = std::string(value);
  }
  return {};
}

Result<TransportSpec, std::string> parse_spec(std::string_view text_spec) {
  const auto parameters = split_outside_quotes(text_spec, ';');
  if (!parameters) return fail(std::string("unterminated quoted string"));
  auto spec = parse_protocol(text::trim(parameters->front()));
  if (!spec) return spec;
  for (std::size_t i = 1; i < parameters->size(); ++i) {
    const auto parameter = text::trim((*parameters)[i]);
    if (parameter.empty()) continue;
    auto why = apply_parameter(parameter, *spec);
    if (!why.empty()) return fail(std::move(why));
  }
  return spec;
}

void append_range(std::string& out, std::string_view name, unsigned first, unsigned second) {
  out += ';';
  out += name;
  out += '=';
  out += std::to_string(first);
  out += '-';
  out += std::to_string(second);
}

}  // namespace

Result<std::vector<TransportSpec>, std::string> parse_transport(std::string_view header) {
  const auto alternatives = split_outside_quotes(header, ',');
  if (!alternatives) return fail(std::string("unterminated quoted string"));
  std::vector<TransportSpec> specs;
  for (const auto alternative : *alternatives) {
    const auto trimmed = text::trim(alternative);
    if (trimmed.empty()) continue;  // "a, , b" and a trailing comma
    auto spec = parse_spec(trimmed);
    if (!spec) return fail(spec.error());
    specs.push_back(std::move(spec).value());
  }
  if (specs.empty()) return fail(std::string("empty Transport header"));
  return specs;
}

// In the order live555 and GStreamer's server write them.
std::string format_transport(const TransportSpec& spec) {
  std::string out = spec.profile;
  if (spec.lower == LowerTransport::tcp) out += "/TCP";
  out += spec.unicast ? ";unicast" : ";multicast";
  if (spec.destination) {
    out += ";destination";
    if (!spec.destination->empty()) out += "=" + *spec.destination;
  }
  if (spec.source) out += ";source=" + *spec.source;
  if (spec.interleaved) {
    append_range(out, "interleaved", spec.interleaved->first, spec.interleaved->second);
  }
  if (spec.client_port) {
    append_range(out, "client_port", spec.client_port->first, spec.client_port->second);
  }
  if (spec.server_port) {
    append_range(out, "server_port", spec.server_port->first, spec.server_port->second);
  }
  if (spec.ssrc) {
    std::array<char, 9> hex{};
    std::snprintf(hex.data(), hex.size(), "%08X", static_cast<unsigned>(*spec.ssrc));
    out += ";ssrc=";
    out += hex.data();
  }
  if (spec.mode) out += ";mode=" + *spec.mode;
  return out;
}

}  // namespace callcast::rtsp
