#pragma once
// rtsp:// URLs as callcast's RTSP clients need them: the load generator's (RtspPublisher,
// RtspPlayer) and the media side's edge pull (OriginPuller).
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace callcast::rtsp {

struct RtspUrl {
  std::string host;  // IPv6 literals without their brackets
  std::uint16_t port = 554;
  std::string path_and_query;  // from the first '/' after the authority
};
Result<RtspUrl, std::string> parse_rtsp_url(const std::string& url);
// `url` with "/<control>" inserted before its query (…/groups/G/trackID=0?token=T), as
// GStreamer builds a track's control URL.
std::string with_control(const std::string& url, const std::string& control);

}  // namespace callcast::rtsp
