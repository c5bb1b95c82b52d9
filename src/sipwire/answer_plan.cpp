#include "sipwire/answer_plan.hpp"

#include <algorithm>
#include <cassert>

namespace callcast::sip {
namespace {

void append_line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

std::string connection_value(const ConnectionAddress& address) {
  return std::string(address.ipv6 ? "IN IP6 " : "IN IP4 ") + address.address;
}

void append_media(std::string& out, const AnswerLine& line) {
  std::string m = line.media + ' ' + std::to_string(line.port) + ' ' + line.proto;
  if (!line.accepted() || !line.format) {
    for (const auto& token : line.format_tokens)
      m += ' ' + token;
    append_line(out, 'm', m);
    return;
  }
  const AnsweredFormat& format = *line.format;
  const std::string pt = std::to_string(format.payload_type);
  append_line(out, 'm', m + ' ' + pt);
  std::string rtpmap =
      "rtpmap:" + pt + ' ' + format.encoding + '/' + std::to_string(format.clock_rate);
  // RFC 4566 §6: the channel count is written for audio when it is not 1 (opus always has /2).
  if (format.channels != 1) rtpmap += '/' + std::to_string(format.channels);
  append_line(out, 'a', rtpmap);
  if (!format.fmtp.empty()) append_line(out, 'a', "fmtp:" + pt + ' ' + format.fmtp);
  for (const auto& feedback : format.feedback) {
    append_line(out, 'a', "rtcp-fb:" + pt + ' ' + to_string(feedback));
  }
  if (line.ptime) append_line(out, 'a', "ptime:" + std::to_string(*line.ptime));
  append_line(out, 'a', direction_name(line.direction));
  if (line.rtcp_mux) append_line(out, 'a', "rtcp-mux");
}

}  // namespace

std::string serialize_answer(const AnswerPlan& plan, std::uint64_t session_id,
                             std::uint64_t session_version, std::string_view origin_address) {
  const bool origin_v6 = origin_address.find(':') != std::string_view::npos;
  std::string out;
  append_line(out, 'v', "0");
  append_line(out, 'o',
              "callcast " + std::to_string(session_id) + ' ' + std::to_string(session_version) +
                  (origin_v6 ? " IN IP6 " : " IN IP4 ") + std::string(origin_address));
  append_line(out, 's', "callcast");
  append_line(out, 'c', connection_value(plan.server.address));
  append_line(out, 't', "0 0");
  for (const auto& line : plan.lines)
    append_media(out, line);
  return out;
}

namespace answer_rules {

AnswerLine rejected(const OfferedMedia& offered, std::string reason) {
  AnswerLine line;
  line.media = offered.media;
  line.proto = offered.proto;
  line.port = 0;
  line.format_tokens = offered.format_tokens;
  line.rejection = std::move(reason);
  return line;
}

std::optional<std::string> unusable(const OfferedMedia& offered) {
  if (offered.port == 0) return "the phone's offer has it with port 0";
  if (offered.kind == MediaKind::other) return "not an audio or video stream";
  if (offered.is_secure_rtp()) {
    return "secure RTP (" + offered.proto + ") is not served; plain RTP only";
  }
  if (!offered.is_rtp()) return offered.proto + " is not RTP/AVP or RTP/AVPF";
  return std::nullopt;
}

AnswerLine accepted(const OfferedMedia& offered, AnsweredFormat format, std::uint16_t port,
                    MediaDirection direction, bool rtcp_mux_possible) {
  assert(port != 0 && "ServerMedia ports must not be 0: port 0 rejects a line");
  AnswerLine line;
  line.media = offered.media;
  line.proto = offered.proto;  // RTP/AVP or RTP/AVPF, as offered
  line.port = port;
  line.format = std::move(format);
  line.direction = direction;
  line.rtcp_mux = offered.rtcp_mux && rtcp_mux_possible;
  return line;
}

std::vector<RtcpFeedback> agreed_feedback(const OfferedFormat& format) {
  static const RtcpFeedback kWanted[] = {{"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}};
  std::vector<RtcpFeedback> agreed;
  for (const auto& wanted : kWanted) {
    if (std::find(format.feedback.begin(), format.feedback.end(), wanted) !=
        format.feedback.end()) {
      agreed.push_back(wanted);
    }
  }
  return agreed;
}

FeedbackUse feedback_use(const std::vector<RtcpFeedback>& agreed) {
  FeedbackUse use;
  for (const auto& feedback : agreed) {
    use.nack = use.nack || (feedback.type == "nack" && feedback.parameter.empty());
    use.pli = use.pli || (feedback.type == "nack" && feedback.parameter == "pli");
    use.fir = use.fir || (feedback.type == "ccm" && feedback.parameter == "fir");
  }
  return use;
}

PhoneEndpoint phone_endpoint(const OfferedMedia& offered, bool rtcp_mux) {
  PhoneEndpoint endpoint;
  endpoint.address = offered.connection.value_or(ConnectionAddress{});
  endpoint.rtp_port = offered.port;
  endpoint.rtcp_mux = rtcp_mux;
  if (rtcp_mux) {
    endpoint.rtcp_port = offered.port;
  } else if (offered.rtcp_port) {
    endpoint.rtcp_port = *offered.rtcp_port;
  } else {
    endpoint.rtcp_port =
        offered.port == UINT16_MAX ? offered.port : static_cast<std::uint16_t>(offered.port + 1);
  }
  return endpoint;
}

std::string offered_formats(const PhoneOffer& offer, std::optional<MediaKind> kind) {
  constexpr std::size_t kMaxNamed = 12;
  std::vector<std::string> names;
  bool more = false;
  for (const auto& media : offer.media) {
    if (media.port == 0 || media.kind == MediaKind::other) continue;
    if (kind && media.kind != *kind) continue;
    for (const auto& format : media.formats) {
      if (format.is("telephone-event")) continue;
      auto name = describe(format, media.kind);
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      if (names.size() == kMaxNamed) {
        more = true;
        break;
      }
      names.push_back(std::move(name));
    }
  }
  if (names.empty()) return "nothing";
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  if (more) text += ", ...";
  return text;
}

std::optional<std::string> secure_only(const PhoneOffer& offer) {
  std::string secure_proto;
  for (const auto& media : offer.media) {
    if (media.port == 0 || media.kind == MediaKind::other) continue;
    if (!media.is_secure_rtp()) return std::nullopt;
    if (secure_proto.empty()) secure_proto = media.proto;
  }
  if (secure_proto.empty()) return std::nullopt;
  return "plain RTP only: the phone offers its audio and video only over secure RTP (" +
         secure_proto + "); turn media encryption off or make it optional";
}

}  // namespace answer_rules
}  // namespace callcast::sip
