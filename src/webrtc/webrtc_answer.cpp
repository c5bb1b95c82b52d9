#include "webrtc/webrtc_answer.hpp"

#include <cassert>

namespace callcast::webrtc {
namespace {

constexpr std::string_view kEol = "\r\n";

void answer_line(std::string& out, std::string_view text) {
  out += text;
  out += kEol;
}

std::string answer_address_type(std::string_view address) {
  return address.find(':') != std::string_view::npos ? "IP6" : "IP4";
}

void answer_rtpmap(std::string& out, std::uint8_t payload_type, std::string_view encoding,
                   std::uint32_t clock_rate, unsigned channels) {
  std::string line = "a=rtpmap:" + std::to_string(payload_type) + ' ' + std::string(encoding) +
                     '/' + std::to_string(clock_rate);
  if (channels > 1) line += '/' + std::to_string(channels);
  answer_line(out, line);
}

// RFC 5576 §4.1 a=ssrc with the CNAME RTCP uses and the msid (RFC 8830) that puts the track in
// a stream; Chromium also reads the media-level a=msid.
void answer_ssrc(std::string& out, std::uint32_t ssrc, const WebRtcAnswerParams& params,
                 const std::string& msid) {
  answer_line(out, "a=ssrc:" + std::to_string(ssrc) + " cname:" + params.cname);
  if (!msid.empty()) answer_line(out, "a=ssrc:" + std::to_string(ssrc) + " msid:" + msid);
}

void answer_rejected(std::string& out, const OfferedMedia& offered,
                     const sdp::MediaDescription& section) {
  // RFC 3264 §6: port 0 and at least one format; RFC 8843 §7.3.3: out of the BUNDLE group.
  const std::string format = section.formats.empty() ? "0" : section.formats.front();
  answer_line(out, "m=" + section.media + " 0 " + section.proto + ' ' + format);
  answer_line(out, "c=IN IP4 0.0.0.0");
  if (!offered.mid.empty()) answer_line(out, "a=mid:" + offered.mid);
  answer_line(out, "a=inactive");
}

void answer_accepted(std::string& out, const OfferedMedia& offered,
                     const sdp::MediaDescription& section, const WebRtcAnswerParams& params,
                     const AnswerMedia& media) {
  const ChosenCodec& codec = media.codec;
  std::string formats = std::to_string(codec.payload_type);
  if (codec.rtx_payload_type) formats += ' ' + std::to_string(*codec.rtx_payload_type);
  answer_line(out, "m=" + section.media + " 9 UDP/TLS/RTP/SAVPF " + formats);
  answer_line(out, "c=IN " + answer_address_type(params.candidate_address) + ' ' +
                       params.candidate_address);
  answer_line(out, "a=mid:" + offered.mid);
  answer_line(out, "a=ice-ufrag:" + params.ice_ufrag);
  answer_line(out, "a=ice-pwd:" + params.ice_pwd);
  answer_line(out, "a=fingerprint:sha-256 " + params.fingerprint);
  // RFC 5763 §5: the answerer to actpass picks; a lite server never starts DTLS, so passive.
  answer_line(out, "a=setup:passive");
  answer_line(out, "a=rtcp-mux");
  if (offered.rtcp_rsize) answer_line(out, "a=rtcp-rsize");
  answer_line(out, "a=" + media.direction);

  const std::string msid = media.msid_stream.empty()
                               ? std::string()
                               : media.msid_stream + ' ' + section.media + '-' + offered.mid;
  const bool sending = media.direction == "sendonly" || media.direction == "sendrecv";
  if (sending && !msid.empty()) answer_line(out, "a=msid:" + msid);

  const std::string pt = std::to_string(codec.payload_type);
  answer_rtpmap(out, codec.payload_type, codec.encoding, codec.clock_rate, codec.channels);
  if (!codec.fmtp.empty()) answer_line(out, "a=fmtp:" + pt + ' ' + codec.fmtp);
  for (const auto& feedback : codec.feedback) {
    std::string line = "a=rtcp-fb:" + pt + ' ';
    line += feedback;
    answer_line(out, line);
  }
  if (codec.rtx_payload_type) {
    // RFC 4588 §8.1: the retransmission format, tied to the original by apt.
    answer_rtpmap(out, *codec.rtx_payload_type, "rtx", codec.clock_rate, 1);
    answer_line(out, "a=fmtp:" + std::to_string(*codec.rtx_payload_type) + " apt=" + pt);
  }

  if (sending && media.ssrc) {
    const bool with_rtx = codec.rtx_payload_type && media.rtx_ssrc;
    if (with_rtx) {
      answer_line(out, "a=ssrc-group:FID " + std::to_string(*media.ssrc) + ' ' +
                           std::to_string(*media.rtx_ssrc));
    }
    answer_ssrc(out, *media.ssrc, params, msid);
    if (with_rtx) answer_ssrc(out, *media.rtx_ssrc, params, msid);
  }

  // The server's one host candidate, on every accepted line: only the first (the BUNDLE tag)
  // counts for the browser, the others are harmless (RFC 8843 §7.3.1).
  answer_line(out, "a=candidate:1 1 udp 2130706431 " + params.candidate_address + ' ' +
                       std::to_string(params.candidate_port) + " typ host");
  answer_line(out, "a=end-of-candidates");
}

}  // namespace

std::string build_webrtc_answer(const WebRtcOffer& offer, const WebRtcAnswerParams& params,
                                std::span<const AnswerMedia> media) {
  assert(offer.media.size() == offer.sdp.media.size());
  const auto accepted = [&](std::size_t i) {
    return i < media.size() && media[i].accepted && !offer.media[i].rejected &&
           !offer.media[i].mid.empty();
  };

  std::string out;
  answer_line(out, "v=0");
  answer_line(out, "o=- " + std::to_string(params.session_id) + " 2 IN " +
                       answer_address_type(params.candidate_address) + ' ' +
                       params.candidate_address);
  answer_line(out, "s=-");
  answer_line(out, "t=0 0");
  // RFC 8445 §2.5: the server only answers connectivity checks, the browser controls.
  answer_line(out, "a=ice-lite");
  std::string group;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    if (accepted(i)) group += ' ' + offer.media[i].mid;
  }
  if (!group.empty()) answer_line(out, "a=group:BUNDLE" + group);
  answer_line(out, "a=msid-semantic: WMS *");

  for (std::size_t i = 0; i < offer.media.size() && i < offer.sdp.media.size(); ++i) {
    if (accepted(i)) {
      answer_accepted(out, offer.media[i], offer.sdp.media[i], params, media[i]);
    } else {
      answer_rejected(out, offer.media[i], offer.sdp.media[i]);
    }
  }
  return out;
}

}  // namespace callcast::webrtc
