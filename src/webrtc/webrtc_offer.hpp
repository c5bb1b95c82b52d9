#pragma once
// A browser's WebRTC offer (JSEP, RFC 9429) as a WHEP player or a WHIP publisher posts it, read
// into plain values once and checked against what the server does: ICE-lite with one transport
// for everything (max-bundle, RFC 8843), DTLS-SRTP as the DTLS server (RFC 5763/8842), RTCP on
// the RTP port (RFC 5761). The lines that matter, from Chromium 156:
//
//   a=group:BUNDLE 0 1                     session: every m= line on one 5-tuple
//   m=video 38148 UDP/TLS/RTP/SAVPF 96 97  kind, proto, payload types in preference order
//   a=ice-ufrag:hgf+ / a=ice-pwd:...       ICE credentials (media level, or session level)
//   a=fingerprint:sha-256 38:A1:...:25     the DTLS certificate's hash (RFC 8122)
//   a=setup:actpass                        the offerer lets us pick: we answer passive
//   a=mid:0                                the BUNDLE tag of this m= line
//   a=recvonly                             direction (the browser's view)
//   a=rtcp-mux / a=rtcp-rsize              RFC 5761 / RFC 5506
//   a=rtpmap:102 H264/90000                + a=fmtp:102 ..., a=rtcp-fb:102 nack pli
//   a=rtpmap:103 rtx/90000                 + a=fmtp:103 apt=102: RFC 4588 retransmission of 102
//   a=ssrc-group:FID 2451362432 1127811213 what a sending browser sends: media SSRC, rtx SSRC
//
// Untrusted input: every failure is a Result with a sentence the WHEP/WHIP handler returns as
// the body of a 400.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "sdp/session_description.hpp"

namespace callcast::webrtc {

struct OfferedCodec {
  std::uint8_t payload_type = 0;
  std::string encoding;  // as written: "H264", "opus", "VP8"; RFC 3551's name for a static type
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::string fmtp;                   // a=fmtp parameters as written, "" when none
  std::vector<std::string> feedback;  // a=rtcp-fb values for this type, then the "*" ones
  std::optional<std::uint8_t> rtx_payload_type;  // the rtx type whose apt= is this one
};

struct OfferedMedia {
  std::string kind;       // "audio", "video", or "other" (e.g. a data channel's "application")
  std::string mid;        // a=mid, "" when absent (allowed only on a rejected line)
  std::string direction;  // sendrecv|sendonly|recvonly|inactive, sendrecv when absent
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  bool rejected = false;             // port 0 without a=bundle-only
  std::vector<OfferedCodec> codecs;  // offer order; rtx entries folded into their apt codec
  std::vector<std::uint32_t> ssrcs;  // the a=ssrc ids, each once, in order
  std::optional<std::pair<std::uint32_t, std::uint32_t>> fid;  // a=ssrc-group:FID media rtx
  std::vector<std::pair<int, std::string>> extmaps;            // a=extmap id and URI
  // Media level, falling back to session level. fingerprint is the sha-256 one, as written.
  std::string ice_ufrag, ice_pwd, fingerprint_algorithm, fingerprint, setup;

  // The first codec whose encoding is `name` (case-insensitive), nullptr when none.
  const OfferedCodec* codec_named(std::string_view name) const;
};

struct WebRtcOffer {
  std::vector<std::string> bundle_mids;  // the one a=group:BUNDLE, in its order
  std::vector<OfferedMedia> media;       // one per m= line, in order
  sdp::SessionDescription sdp;           // the whole offer, for what the values above leave out
};

// Fails (a sentence naming the m= line) on: not SDP, a malformed a=rtpmap/a=rtcp-fb/a=ssrc/
// a=extmap, no ICE ufrag/pwd, no sha-256 fingerprint, a=setup not actpass or active, no
// a=rtcp-mux on a used audio/video line, a used audio/video line not UDP/TLS/RTP/SAVPF, used lines
// not all in one BUNDLE group, different ICE credentials or fingerprints across the bundle, no
// line in use.
Result<WebRtcOffer, std::string> parse_webrtc_offer(std::string_view sdp);

}  // namespace callcast::webrtc
