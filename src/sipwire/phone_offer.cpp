#include "sipwire/phone_offer.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "sdp/session_description.hpp"

namespace callcast::sip {
namespace {

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

template <class Number>
std::optional<Number> parse_number(std::string_view text, Number max) {
  Number value{};
  const auto* end = text.data() + text.size();
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > max) return std::nullopt;
  return value;
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  while (true) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
      text.remove_prefix(1);
    if (text.empty()) return words;
    const auto end = text.find_first_of(" \t");
    words.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return words;
    text.remove_prefix(end);
  }
}

// For error messages: at most 60 characters of what the phone wrote.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "'" + std::string(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  return out + "'";
}

// RFC 3551 Tables 4 and 5: payload types with a fixed meaning, usable without a=rtpmap.
struct StaticType {
  std::uint8_t payload_type;
  std::string_view encoding;
  std::uint32_t clock_rate;
  unsigned channels;
};
constexpr std::array kStaticTypes{
    StaticType{0, "PCMU", 8000, 1},   StaticType{3, "GSM", 8000, 1},
    StaticType{4, "G723", 8000, 1},   StaticType{5, "DVI4", 8000, 1},
    StaticType{6, "DVI4", 16000, 1},  StaticType{7, "LPC", 8000, 1},
    StaticType{8, "PCMA", 8000, 1},   StaticType{9, "G722", 8000, 1},
    StaticType{10, "L16", 44100, 2},  StaticType{11, "L16", 44100, 1},
    StaticType{12, "QCELP", 8000, 1}, StaticType{13, "CN", 8000, 1},
    StaticType{14, "MPA", 90000, 1},  StaticType{15, "G728", 8000, 1},
    StaticType{16, "DVI4", 11025, 1}, StaticType{17, "DVI4", 22050, 1},
    StaticType{18, "G729", 8000, 1},  StaticType{25, "CelB", 90000, 1},
    StaticType{26, "JPEG", 90000, 1}, StaticType{28, "nv", 90000, 1},
    StaticType{31, "H261", 90000, 1}, StaticType{32, "MPV", 90000, 1},
    StaticType{33, "MP2T", 90000, 1}, StaticType{34, "H263", 90000, 1},
};

// c=IN IP4 <address> / c=IN IP6 <address>. Multicast (a TTL or address count after '/') is
// refused: phones call us unicast, and a group address cannot be latched onto.
Result<ConnectionAddress, std::string> parse_connection(std::string_view value) {
  const auto words = words_of(value);
  if (words.size() != 3 || words[0] != "IN" || (words[1] != "IP4" && words[1] != "IP6")) {
    return fail("c=" + quoted(value) + " is not 'IN IP4 <address>' or 'IN IP6 <address>'");
  }
  ConnectionAddress connection{words[1] == "IP6", std::string(words[2])};
  if (connection.address.find('/') != std::string::npos) {
    return fail("c=" + quoted(value) + " is multicast (TTL or address count), not supported");
  }
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(connection.ipv6 ? AF_INET6 : AF_INET, connection.address.c_str(), bytes.data()) !=
      1) {
    return fail("c=" + quoted(value) + " does not hold an IP" + (connection.ipv6 ? "6" : "4") +
                " address literal");
  }
  return connection;
}

std::optional<MediaDirection> direction_of(const sdp::Line& line) {
  if (line.type != 'a') return std::nullopt;
  if (line.value == "sendrecv") return MediaDirection::sendrecv;
  if (line.value == "sendonly") return MediaDirection::sendonly;
  if (line.value == "recvonly") return MediaDirection::recvonly;
  if (line.value == "inactive") return MediaDirection::inactive;
  return std::nullopt;
}

// At most one direction attribute per level (RFC 3264 §5.1 gives each stream one direction).
Result<std::optional<MediaDirection>, std::string> direction_in(const std::vector<sdp::Line>& lines,
                                                                std::string_view where) {
  std::optional<MediaDirection> found;
  for (const auto& line : lines) {
    const auto direction = direction_of(line);
    if (!direction) continue;
    if (found) return fail(std::string(where) + " has more than one direction attribute");
    found = direction;
  }
  return found;
}

struct RtpMapEntry {
  std::uint8_t payload_type = 0;
  std::string encoding;
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
};

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
Result<RtpMapEntry, std::string> parse_rtpmap(std::string_view value) {
  const auto words = words_of(value);
  const auto bad = [&] { return fail("a=rtpmap:" + quoted(value) + " is malformed"); };
  if (words.size() != 2) return bad();
  const auto payload_type = parse_number<unsigned>(words[0], 127);
  if (!payload_type) return bad();
  const auto parts = words[1];
  const auto first = parts.find('/');
  if (first == 0 || first == std::string_view::npos) return bad();
  const auto second = parts.find('/', first + 1);
  const auto clock = parse_number<std::uint32_t>(
      parts.substr(first + 1, second == std::string_view::npos ? second : second - first - 1),
      UINT32_MAX);
  if (!clock || *clock == 0) return bad();
  RtpMapEntry entry{static_cast<std::uint8_t>(*payload_type), std::string(parts.substr(0, first)),
                    *clock, 1};
  if (second != std::string_view::npos) {
    const auto channels = parse_number<unsigned>(parts.substr(second + 1), 255);
    if (!channels || *channels == 0) return bad();
    entry.channels = *channels;
  }
  return entry;
}

struct FeedbackEntry {
  std::optional<std::uint8_t> payload_type;  // nullopt for "*"
  RtcpFeedback feedback;
};

// a=rtcp-fb:<payload type or *> <type> [<parameters>] (RFC 4585 §4.2)
Result<FeedbackEntry, std::string> parse_feedback(std::string_view value) {
  const auto words = words_of(value);
  if (words.size() < 2) return fail("a=rtcp-fb:" + quoted(value) + " has no feedback type");
  FeedbackEntry entry;
  if (words[0] != "*") {
    const auto payload_type = parse_number<unsigned>(words[0], 127);
    if (!payload_type) {
      return fail("a=rtcp-fb:" + quoted(value) + " names no payload type 0-127 or '*'");
    }
    entry.payload_type = static_cast<std::uint8_t>(*payload_type);
  }
  entry.feedback.type = std::string(words[1]);
  for (std::size_t i = 2; i < words.size(); ++i) {
    if (!entry.feedback.parameter.empty()) entry.feedback.parameter += ' ';
    entry.feedback.parameter += words[i];
  }
  return entry;
}

void add_unique(std::vector<RtcpFeedback>& list, const RtcpFeedback& feedback) {
  if (std::find(list.begin(), list.end(), feedback) == list.end()) list.push_back(feedback);
}

RtpProfile profile_of(std::string_view proto) {
  if (proto == "RTP/AVP") return RtpProfile::avp;
  if (proto == "RTP/AVPF") return RtpProfile::avpf;
  return RtpProfile::other;
}

MediaKind kind_of(std::string_view media) {
  if (media == "audio") return MediaKind::audio;
  if (media == "video") return MediaKind::video;
  return MediaKind::other;
}

Result<OfferedMedia, std::string> read_media(const sdp::MediaDescription& section,
                                             std::size_t index, const PhoneOffer& offer,
                                             std::optional<MediaDirection> session_direction,
                                             const PhoneOfferLimits& limits) {
  const std::string where = "m=" + section.media + " (media " + std::to_string(index + 1) + ")";
  OfferedMedia media;
  media.kind = kind_of(section.media);
  media.media = section.media;
  media.port = section.port;
  media.proto = section.proto;
  media.profile = profile_of(section.proto);
  media.format_tokens = section.formats;
  if (section.formats.size() > limits.max_formats) {
    return fail(where + " has more than " + std::to_string(limits.max_formats) + " formats");
  }

  for (const auto& line : section.lines) {
    if (line.type != 'c') continue;
    if (media.connection) return fail(where + " has more than one c= line");
    auto connection = parse_connection(line.value);
    if (!connection) return fail(where + ": " + connection.error());
    media.connection = std::move(connection).value();
  }
  if (!media.connection) media.connection = offer.session_connection;

  auto direction = direction_in(section.lines, where);
  if (!direction) return fail(direction.error());
  media.direction = direction->value_or(session_direction.value_or(MediaDirection::sendrecv));
  media.rtcp_mux = section.attribute("rtcp-mux").has_value();
  if (const auto rtcp = section.attribute("rtcp")) {
    const auto words = words_of(*rtcp);
    const auto port =
        words.empty() ? std::nullopt : parse_number<std::uint16_t>(words[0], UINT16_MAX);
    if (!port || *port == 0) return fail(where + ": a=rtcp:" + quoted(*rtcp) + " has no port");
    media.rtcp_port = *port;
  }

  const bool secure = media.is_secure_rtp();
  if (!media.is_rtp() && !secure) return media;  // formats of other protos are not RTP types

  // RTP (also secure RTP, so that an answer can name what it refused): formats are payload types.
  std::vector<RtpMapEntry> rtpmaps;
  for (const auto value : section.attributes("rtpmap")) {
    auto entry = parse_rtpmap(value);
    if (!entry) return fail(where + ": " + entry.error());
    rtpmaps.push_back(std::move(entry).value());
  }
  std::vector<FeedbackEntry> feedback;
  for (const auto value : section.attributes("rtcp-fb")) {
    if (feedback.size() == limits.max_feedback) {
      return fail(where + " has more than " + std::to_string(limits.max_feedback) +
                  " a=rtcp-fb lines");
    }
    auto entry = parse_feedback(value);
    if (!entry) return fail(where + ": " + entry.error());
    if (!entry->payload_type) add_unique(media.wildcard_feedback, entry->feedback);
    feedback.push_back(std::move(entry).value());
  }

  for (const auto& token : section.formats) {
    const auto payload_type = parse_number<unsigned>(token, 127);
    if (!payload_type) return fail(where + ": format " + quoted(token) + " is not an RTP type");
    OfferedFormat format;
    format.payload_type = static_cast<std::uint8_t>(*payload_type);
    const auto mapped = std::find_if(rtpmaps.begin(), rtpmaps.end(), [&](const RtpMapEntry& e) {
      return e.payload_type == format.payload_type;
    });
    if (mapped != rtpmaps.end()) {
      format.encoding = mapped->encoding;
      format.clock_rate = mapped->clock_rate;
      format.channels = mapped->channels;
    } else {
      for (const auto& known : kStaticTypes) {
        if (known.payload_type != format.payload_type) continue;
        format.encoding = std::string(known.encoding);
        format.clock_rate = known.clock_rate;
        format.channels = known.channels;
      }
    }
    format.fmtp = sdp::fmtp_for(section, format.payload_type).value_or("");
    for (const auto& entry : feedback) {
      if (entry.payload_type == format.payload_type) add_unique(format.feedback, entry.feedback);
    }
    for (const auto& wildcard : media.wildcard_feedback)
      add_unique(format.feedback, wildcard);
    if (std::any_of(media.formats.begin(), media.formats.end(), [&](const OfferedFormat& f) {
          return f.payload_type == format.payload_type;
        })) {
      return fail(where + " lists payload type " + std::to_string(format.payload_type) + " twice");
    }
    media.formats.push_back(std::move(format));
  }
  return media;
}

}  // namespace

std::string_view direction_name(MediaDirection direction) {
  switch (direction) {
    case MediaDirection::sendrecv:
      return "sendrecv";
    case MediaDirection::sendonly:
      return "sendonly";
    case MediaDirection::recvonly:
      return "recvonly";
    case MediaDirection::inactive:
      return "inactive";
  }
  return "sendrecv";
}

std::string to_string(const RtcpFeedback& feedback) {
  return feedback.parameter.empty() ? feedback.type : feedback.type + ' ' + feedback.parameter;
}

bool OfferedFormat::is(std::string_view name) const {
  return iequals(encoding, name);
}

bool OfferedMedia::is_secure_rtp() const {
  // RTP/SAVP, RTP/SAVPF (RFC 3711, 5124) and their DTLS and TLS forms (RFC 5764, 8842).
  const std::string_view p = proto;
  return p.find("RTP/SAVP") != std::string_view::npos;
}

std::uint16_t OfferedMedia::phone_rtcp_port() const {
  if (rtcp_mux) return port;
  if (rtcp_port) return *rtcp_port;
  return port == UINT16_MAX ? port : static_cast<std::uint16_t>(port + 1);
}

Result<PhoneOffer, std::string> parse_phone_offer(std::string_view sdp,
                                                  const PhoneOfferLimits& limits) {
  auto description = sdp::SessionDescription::parse(sdp);
  if (!description) return fail("the offer is not SDP: " + description.error());
  PhoneOffer offer;
  for (const auto& line : description->session) {
    if (line.type == 'c') {
      if (offer.session_connection) return fail(std::string("the session has two c= lines"));
      auto connection = parse_connection(line.value);
      if (!connection) return fail("session: " + connection.error());
      offer.session_connection = std::move(connection).value();
    } else if (line.type == 'o' && offer.tool.empty()) {
      offer.tool = line.value.substr(0, line.value.find(' '));
    }
  }
  if (const auto tool = description->attribute("tool")) offer.tool = std::string(*tool);
  auto session_direction = direction_in(description->session, "the session");
  if (!session_direction) return fail(session_direction.error());

  for (std::size_t i = 0; i < description->media.size(); ++i) {
    auto media = read_media(description->media[i], i, offer, *session_direction, limits);
    if (!media) return fail(media.error());
    if (media->port != 0 && !media->connection) {
      return fail("m=" + media->media + " (media " + std::to_string(i + 1) +
                  ") has no c= address, neither its own nor the session's");
    }
    offer.media.push_back(std::move(media).value());
  }
  return offer;
}

}  // namespace callcast::sip
