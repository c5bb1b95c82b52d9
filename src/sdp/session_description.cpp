// SDP, RFC 4566 §5: one "<type>=<value>" line each, the session section first, then one section
// per media starting at its m= line:
//
//   v=0                                  version, always first
//   o=- 0 0 IN IP4 127.0.0.1             session section: o= s= c= t= a= ... in RFC order
//   m=video 0 RTP/AVP 96                 m=<media> <port>[/<count>] <proto> <fmt> ...
//   a=rtpmap:96 H264/90000               a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]
//   a=fmtp:96 packetization-mode=1; ...  a=fmtp:<pt> <parameters separated by ';'>
//
// Lines may end in LF alone; empty lines are skipped. Values are kept byte for byte, so that a
// description serialises as it came, apart from CRLF line ends and the m= line's spacing.
#include "sdp/session_description.hpp"

#include <algorithm>
#include <limits>

namespace callcast::sdp {
namespace {

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// 1*DIGIT no larger than `max`, which must stay far below UINT64_MAX / 10.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : s) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

// RFC 4566 token: visible ASCII except the separators it excludes.
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f &&
           std::string_view("\"(),/:;<=>?@[\\]{}").find(c) == std::string_view::npos;
  });
}

// proto is tokens joined by '/': "RTP/AVP", "UDP/TLS/RTP/SAVPF", "TCP".
bool is_proto(std::string_view s) {
  while (true) {
    const auto slash = s.find('/');
    if (!is_token(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> words;
  while (true) {
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    if (s.empty()) return words;
    const auto space = s.find(' ');
    words.push_back(s.substr(0, space));
    if (space == std::string_view::npos) return words;
    s.remove_prefix(space);
  }
}

// m=<media> <port>[/<number of ports>] <proto> <fmt> ...
Result<MediaDescription, std::string> parse_media_line(std::string_view value) {
  const auto words = split_spaces(value);
  if (words.size() < 4) return fail("m=" + std::string(value) + " has fewer than four fields");
  MediaDescription media;
  if (!is_token(words[0])) return fail(std::string("m= media is not a token"));
  media.media = words[0];
  const auto slash = words[1].find('/');
  const auto port = parse_decimal(words[1].substr(0, slash), 65535);
  if (!port) return fail("m= port '" + std::string(words[1]) + "' is not 0-65535");
  media.port = static_cast<std::uint16_t>(*port);
  if (slash != std::string_view::npos) {
    const auto count = parse_decimal(words[1].substr(slash + 1), 65535);
    if (!count || *count == 0) return fail(std::string("m= number of ports is not 1-65535"));
    media.port_count = static_cast<std::uint16_t>(*count);
  }
  if (!is_proto(words[2])) return fail(std::string("m= proto is not a token"));
  media.proto = words[2];
  for (std::size_t i = 3; i < words.size(); ++i) {
    if (!is_token(words[i])) return fail(std::string("m= format is not a token"));
    media.formats.emplace_back(words[i]);
  }
  return media;
}

// The value of a=<name> or a=<name>:<value>; nullopt when `line` is another attribute.
std::optional<std::string_view> attribute_value(const Line& line, std::string_view name) {
  if (line.type != 'a') return std::nullopt;
  const std::string_view value = line.value;
  if (!value.starts_with(name)) return std::nullopt;
  if (value.size() == name.size()) return std::string_view{};
  if (value[name.size()] != ':') return std::nullopt;
  return value.substr(name.size() + 1);
}

std::optional<std::string_view> first_attribute(const std::vector<Line>& lines,
                                                std::string_view name) {
  for (const auto& line : lines) {
    if (const auto value = attribute_value(line, name)) return value;
  }
  return std::nullopt;
}

std::string attribute_line(std::string_view name, std::string_view value) {
  std::string line(name);
  if (!value.empty()) {
    line += ':';
    line += value;
  }
  return line;
}

void set_attribute_in(std::vector<Line>& lines, std::string_view name, std::string_view value) {
  for (auto& line : lines) {
    if (attribute_value(line, name)) {
      line.value = attribute_line(name, value);
      return;
    }
  }
  lines.push_back({'a', attribute_line(name, value)});
}

void remove_attribute_in(std::vector<Line>& lines, std::string_view name) {
  std::erase_if(lines, [&](const Line& line) { return attribute_value(line, name).has_value(); });
}

// An a=rtpmap or a=fmtp value "<pt> <rest>" for payload type `payload_type`: its rest.
std::optional<std::string_view> for_payload_type(std::string_view value,
                                                 std::uint8_t payload_type) {
  const auto space = value.find(' ');
  if (parse_decimal(value.substr(0, space), 127) != payload_type) return std::nullopt;
  if (space == std::string_view::npos) return std::string_view{};
  return trim(value.substr(space + 1));
}

void append_line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

// RFC 4566 §5's order of session-level lines; unknown types go before a=.
std::size_t session_rank(char type) {
  constexpr std::string_view kOrder = "vosiuepcbtrzk";
  const auto rank = kOrder.find(type);
  return rank == std::string_view::npos ? kOrder.size() : rank;
}

}  // namespace

std::optional<std::string_view> MediaDescription::attribute(std::string_view name) const {
  return first_attribute(lines, name);
}

std::vector<std::string_view> MediaDescription::attributes(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& line : lines) {
    if (const auto value = attribute_value(line, name)) values.push_back(*value);
  }
  return values;
}

void MediaDescription::set_attribute(std::string_view name, std::string_view value) {
  set_attribute_in(lines, name, value);
}

void MediaDescription::remove_attribute(std::string_view name) {
  remove_attribute_in(lines, name);
}

Result<SessionDescription, std::string> SessionDescription::parse(std::string_view text,
                                                                  const SdpLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail("SDP is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  SessionDescription description;
  std::size_t line_count = 0;
  while (!text.empty()) {
    const auto lf = text.find('\n');
    auto line = text.substr(0, lf);
    text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;

    if (++line_count > limits.max_lines) {
      return fail("SDP has more than " + std::to_string(limits.max_lines) + " lines");
    }
    const auto where = [&] { return "line " + std::to_string(line_count); };
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
      return fail(where() + " is not <letter>=<value>");
    }
    const auto value = line.substr(2);
    if (value.find_first_of(std::string_view("\0\r", 2)) != std::string_view::npos) {
      return fail(where() + " has a NUL or CR inside");
    }
    if (line_count == 1 && line != "v=0") {
      return fail(std::string("SDP does not start with v=0"));
    }
    if (line[0] == 'm') {
      if (description.media.size() == limits.max_media) {
        return fail("SDP has more than " + std::to_string(limits.max_media) + " media");
      }
      auto media = parse_media_line(value);
      if (!media) return fail(where() + ": " + media.error());
      description.media.push_back(std::move(media).value());
    } else {
      auto& lines =
          description.media.empty() ? description.session : description.media.back().lines;
      lines.push_back({line[0], std::string(value)});
    }
  }
  if (line_count == 0) return fail(std::string("SDP is empty"));
  return description;
}

std::string SessionDescription::serialize() const {
  std::string out;
  for (const auto& line : session) {
    append_line(out, line.type, line.value);
  }
  for (const auto& section : media) {
    std::string m = section.media + ' ' + std::to_string(section.port);
    if (section.port_count != 0) m += '/' + std::to_string(section.port_count);
    m += ' ' + section.proto;
    for (const auto& format : section.formats) {
      m += ' ' + format;
    }
    append_line(out, 'm', m);
    for (const auto& line : section.lines) {
      append_line(out, line.type, line.value);
    }
  }
  return out;
}

std::optional<std::string_view> SessionDescription::attribute(std::string_view name) const {
  return first_attribute(session, name);
}

void SessionDescription::set_attribute(std::string_view name, std::string_view value) {
  set_attribute_in(session, name, value);
}

void SessionDescription::remove_attribute(std::string_view name) {
  remove_attribute_in(session, name);
}

void SessionDescription::set_line(char type, std::string_view value) {
  for (auto& line : session) {
    if (line.type == type) {
      line.value = value;
      return;
    }
  }
  const auto later = std::find_if(session.begin(), session.end(), [&](const Line& line) {
    return session_rank(line.type) > session_rank(type);
  });
  session.insert(later, {type, std::string(value)});
}

std::optional<RtpMap> rtpmap_for(const MediaDescription& media, std::uint8_t payload_type) {
  for (const auto value : media.attributes("rtpmap")) {
    const auto rest = for_payload_type(value, payload_type);
    if (!rest) continue;
    // <encoding name>/<clock rate>[/<encoding parameters>]
    const auto first = rest->find('/');
    if (first == 0 || first == std::string_view::npos) return std::nullopt;
    const auto second = rest->find('/', first + 1);
    const auto clock_rate = parse_decimal(rest->substr(first + 1, second - first - 1), UINT32_MAX);
    if (!clock_rate) return std::nullopt;
    RtpMap map{payload_type, std::string(rest->substr(0, first)),
               static_cast<std::uint32_t>(*clock_rate), std::nullopt};
    if (second != std::string_view::npos) {
      const auto channels = parse_decimal(rest->substr(second + 1), 255);
      if (!channels) return std::nullopt;
      map.channels = static_cast<unsigned>(*channels);
    }
    return map;
  }
  return std::nullopt;
}

std::optional<std::string> fmtp_for(const MediaDescription& media, std::uint8_t payload_type) {
  for (const auto value : media.attributes("fmtp")) {
    if (const auto parameters = for_payload_type(value, payload_type)) {
      return std::string(*parameters);
    }
  }
  return std::nullopt;
}

std::optional<std::string> fmtp_parameter(std::string_view parameters, std::string_view key) {
  while (true) {
    const auto semicolon = parameters.find(';');
    const auto parameter = trim(parameters.substr(0, semicolon));
    const auto equals = parameter.find('=');
    if (iequals(trim(parameter.substr(0, equals)), key) && !parameter.empty()) {
      if (equals == std::string_view::npos) return std::string();
      return std::string(trim(parameter.substr(equals + 1)));
    }
    if (semicolon == std::string_view::npos) return std::nullopt;
    parameters.remove_prefix(semicolon + 1);
  }
}

}  // namespace callcast::sdp
