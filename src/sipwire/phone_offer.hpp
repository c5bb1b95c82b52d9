#pragma once
// What a SIP phone's SDP offer (RFC 3264 over RFC 4566) asks for, read into plain values once, so
// that the answer planners (viewer_answer, broadcaster_answer) never look at SDP text:
//
//   c=IN IP4 10.77.0.1                      session-level address, overridden per media
//   m=video 4566 RTP/AVP 96 97 100          kind, port, proto, payload types in preference order
//   a=rtpmap:97 H264/90000                  encoding/clock[/channels]; static types need none
//   a=fmtp:97 packetization-mode=1;...      format parameters, kept as text
//   a=rtcp-fb:* nack pli                    RTCP feedback (RFC 4585 §4.2), "*" = every type
//   a=sendrecv                              direction (RFC 3264 §5.1), sendrecv when absent
//   a=rtcp-mux / a=rtcp:4567                RTCP on the RTP port (RFC 5761) / elsewhere (3605)
//
// Bounded: the SDP limits of sdp::SessionDescription plus PhoneOfferLimits per media.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callcast::sip {

enum class MediaKind { audio, video, other };
// RTP/AVP (RFC 3551) and RTP/AVPF (RFC 4585) are what we answer; the rest (RTP/SAVP, RTP/SAVPF,
// UDP/TLS/RTP/SAVPF, TCP ...) are `other` and get port 0.
enum class RtpProfile { avp, avpf, other };
enum class MediaDirection { sendrecv, sendonly, recvonly, inactive };

std::string_view direction_name(MediaDirection direction);  // "sendrecv" ...

struct ConnectionAddress {
  bool ipv6 = false;
  std::string address;  // literal as written, without a TTL
  bool operator==(const ConnectionAddress&) const = default;
};

// One a=rtcp-fb value after the payload type: "nack" "", "nack" "pli", "ccm" "fir",
// "trr-int" "5000".
struct RtcpFeedback {
  std::string type;
  std::string parameter;  // the rest after the type, single-spaced; empty when none
  bool operator==(const RtcpFeedback&) const = default;
};
std::string to_string(const RtcpFeedback& feedback);  // "nack pli"

struct OfferedFormat {
  std::uint8_t payload_type = 0;
  std::string encoding;  // from a=rtpmap or RFC 3551's static table; "" for an unmapped dynamic
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::string fmtp;                    // a=fmtp parameters as written, "" when none
  std::vector<RtcpFeedback> feedback;  // this payload type's, then the "*" ones, no duplicates

  bool is(std::string_view name) const;  // encoding compared case-insensitively
};

struct OfferedMedia {
  MediaKind kind = MediaKind::other;
  std::string media;  // as written: "audio", "video", "application" ...
  std::uint16_t port = 0;
  std::string proto;  // as written
  RtpProfile profile = RtpProfile::other;
  std::vector<std::string> format_tokens;       // the m= line's formats as written
  std::vector<OfferedFormat> formats;           // RTP and secure RTP protos, in offer order
  std::optional<ConnectionAddress> connection;  // media-level c=, else the session's
  MediaDirection direction = MediaDirection::sendrecv;
  bool rtcp_mux = false;
  std::optional<std::uint16_t> rtcp_port;       // a=rtcp:<port>
  std::vector<RtcpFeedback> wildcard_feedback;  // the a=rtcp-fb:* lines

  bool is_rtp() const { return profile != RtpProfile::other; }
  bool is_secure_rtp() const;  // RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF ...
  // Where the phone expects RTCP: the RTP port with rtcp-mux, a=rtcp, else RTP port + 1.
  std::uint16_t phone_rtcp_port() const;
};

struct PhoneOffer {
  std::optional<ConnectionAddress> session_connection;
  std::vector<OfferedMedia> media;
  std::string tool;  // a=tool or the o= user name, for logs ("baresip 1.0.0", "linphone")
};

struct PhoneOfferLimits {
  std::size_t max_formats = 32;   // per m= line
  std::size_t max_feedback = 32;  // a=rtcp-fb lines per m= line
};

// Fails with a sentence naming the line: not SDP, a malformed c=, a=rtpmap, a=rtcp or a=rtcp-fb,
// an RTP format that is not 0-127, two direction attributes, a used line without an address.
Result<PhoneOffer, std::string> parse_phone_offer(std::string_view sdp,
                                                  const PhoneOfferLimits& limits = {});

}  // namespace callcast::sip
