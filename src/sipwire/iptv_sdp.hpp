#pragma once
// The SDP that hands a SIP call over to RTSP (DESIGN.md §3), the convention of ETSI TISPAN IPTV
// (TS 183 063, media format "iptv_rtsp") and 3GPP IMS-based streaming:
//
//   m=application 8554 TCP iptv_rtsp
//   c=IN IP4 <media host>
//   a=setup:passive
//   a=fmtp:iptv_rtsp h-uri=rtsp://<media host>:8554/groups/<master>?token=<token>
//
// The same URI also goes into a session-level attribute (kSessionUriAttribute), for SIP phones
// that offered only audio/video: their m= lines come back with port 0 (RFC 3264 §6), and the
// call still carries the URI. Every name a client is written against lives here.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::sip {

inline constexpr std::string_view kIptvMediaFormat = "iptv_rtsp";
inline constexpr std::string_view kIptvProto = "TCP";
inline constexpr std::string_view kHUriParameter = "h-uri";
inline constexpr std::string_view kSessionUriAttribute = "rtsp-uri";
inline constexpr std::string_view kSdpContentType = "application/sdp";

// Which way the terminal's media goes on its iptv_rtsp line (RFC 4566 §6 direction
// attributes): a broadcaster's offer says a=sendonly (it publishes), a viewer's a=recvonly (it
// plays). An offer without one (older terminals) is taken as a broadcaster's at the service
// number and as a viewer's at any other number.
enum class IptvDirection { unspecified, sendonly, recvonly };

// Why an offer cannot be used: the network side answers 488 with this text in a Warning.
struct SdpRejection {
  std::string reason;
};

struct IptvSdpParams {
  std::string rtsp_url;          // publish URL (704) or play URL (713)
  std::uint64_t session_id = 0;  // o= line: stable per call so 183 and 200 carry the same SDP
};

// Builds the SDP body for a 183/200. With an offer (RFC 3264): one m= line per offered m= line,
// the first iptv_rtsp-over-TCP line accepted, all others rejected with port 0. Without an offer
// (empty text): an offer of our own with the iptv_rtsp line.
// Rejects: text that is not SDP, and an offer whose only iptv_rtsp lines use another transport.
Result<std::string, SdpRejection> make_iptv_sdp(std::string_view offer,
                                                const IptvSdpParams& params);

// The RTSP URI from an answer built as above: the h-uri of the first accepted iptv_rtsp line,
// else the session-level attribute. Empty when neither is there (or the text is not SDP).
std::string rtsp_uri_from_sdp(std::string_view sdp);

// What an INVITE's offer asks for, read before anything is created: whether it is there at all,
// whether it has an iptv_rtsp line over TCP (a SIP phone's audio/video offer has none), and the
// direction of that line (media level first, then session level).
struct IptvOfferSummary {
  bool has_offer = false;  // false: no body, or only white space
  bool has_iptv = false;   // an iptv_rtsp line over TCP with a port other than 0
  IptvDirection direction = IptvDirection::unspecified;
};
// Fails only on text that is not SDP (the same rejection as make_iptv_sdp).
Result<IptvOfferSummary, SdpRejection> summarize_iptv_offer(std::string_view offer);

// A minimal offer of the kind a callcast terminal sends (m=application 9 TCP iptv_rtsp,
// a=setup:active), with a=sendonly (broadcast) or a=recvonly (watch) when a direction is given.
std::string make_iptv_offer(std::string_view host,
                            IptvDirection direction = IptvDirection::unspecified);

}  // namespace callcast::sip
