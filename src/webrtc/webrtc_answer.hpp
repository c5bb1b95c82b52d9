#pragma once
// The server's SDP answer to a browser's offer (JSEP, RFC 9429 §5.3):
//
//   v=0 / o=- <id> 2 IN IP4 <addr> / s=- / t=0 0
//   a=ice-lite                          the server only answers checks (RFC 8445 §2.5)
//   a=group:BUNDLE 0 1                  the accepted mids: one transport (RFC 8843)
//   a=msid-semantic: WMS *
//   m=video 9 UDP/TLS/RTP/SAVPF 108 109 per offered m= line, in order; rejected: port 0
//   c=IN IP4 <addr>
//   a=mid:0, a=ice-ufrag, a=ice-pwd, a=fingerprint:sha-256 ..., a=setup:passive (DTLS server)
//   a=rtcp-mux, a=rtcp-rsize (when offered), a=sendonly|recvonly
//   a=rtpmap/a=fmtp/a=rtcp-fb of the chosen codec, a=rtpmap:109 rtx/90000 + a=fmtp:109 apt=108
//   a=ssrc-group:FID + a=ssrc cname/msid  what the server sends (sendonly)
//   a=candidate:1 1 udp 2130706431 <addr> <port> typ host, a=end-of-candidates
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "webrtc/webrtc_codec_choice.hpp"
#include "webrtc/webrtc_offer.hpp"

namespace callcast::webrtc {

struct WebRtcAnswerParams {
  std::string ice_ufrag, ice_pwd;
  std::string fingerprint;        // sha-256 of the server's certificate, upper-case hex with colons
  std::string candidate_address;  // IPv4 or IPv6 literal: the media UDP port's public address
  std::uint16_t candidate_port = 0;
  std::uint64_t session_id = 0;  // o= sess-id
  std::string cname;             // RTCP CNAME of what the server sends
};

struct AnswerMedia {
  bool accepted = false;
  std::string direction;  // "sendonly" (WHEP) or "recvonly" (WHIP)
  ChosenCodec codec;
  std::optional<std::uint32_t> ssrc, rtx_ssrc;  // what the server sends (sendonly)
  std::string msid_stream;                      // e.g. "callcast"; "" writes no msid
};

// `media` has one entry per offered m= line, in order (RFC 3264 §6); a line without an entry is
// rejected. An offered line that was rejected or has no mid is rejected whatever its entry says.
std::string build_webrtc_answer(const WebRtcOffer& offer, const WebRtcAnswerParams& params,
                                std::span<const AnswerMedia> media);

}  // namespace callcast::webrtc
