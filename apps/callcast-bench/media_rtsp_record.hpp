#pragma once
// The benchmark's master connection to callcastd (patent step 705), blocking and bounded:
//
//   ANNOUNCE <url>                  the clip's SDP (trackID=0 video, trackID=1 audio)
//   SETUP <url>/trackID=0           Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record
//   SETUP <url>/trackID=1           Transport: RTP/AVP/TCP;unicast;interleaved=2-3;mode=record
//   RECORD <url>                    Session from the first SETUP's answer
//
// The control goes before the query (…/groups/G/trackID=0?token=T), as GStreamer sends it.
#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace callcast::bench {

struct RtspUrl {
  std::string host;
  std::uint16_t port = 554;
  std::string path_and_query;  // from the first '/' after the authority
};
Result<RtspUrl, std::string> parse_rtsp_url(const std::string& url);
// `url` with "/<control>" inserted before its query.
std::string with_control(const std::string& url, const std::string& control);

// A connected blocking TCP socket to host:port with send and receive timeouts of `timeout`.
Result<int, std::string> connect_tcp(const std::string& host, std::uint16_t port,
                                     std::chrono::milliseconds timeout);

// The socket, in RECORD state, ready for interleaved RTP (the caller owns it). Errors say which
// request failed and how ("SETUP -> 461 Unsupported Transport").
Result<int, std::string> rtsp_record(const std::string& publish_url, const std::string& sdp,
                                     std::chrono::milliseconds timeout);

}  // namespace callcast::bench
