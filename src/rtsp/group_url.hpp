#pragma once
// callcast's RTSP URLs: rtsp://HOST:PORT/groups/<group>[/<control>]?token=<token>
// Clients build track URLs differently: GStreamer puts the control before the query
// (/groups/G/stream=0?token=T), ffmpeg appends it after the whole URL
// (/groups/G?token=T/streamid=0). Both are accepted.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::rtsp {

struct GroupUrl {
  std::string group;
  std::string control;  // "" for the aggregate URL, else e.g. "trackID=1", "streamid=0"
  std::string token;    // "" when absent
  bool operator==(const GroupUrl&) const = default;
};

// Accepts an absolute rtsp:// URL or a bare path. Errors say what is wrong ("not under /groups/").
Result<GroupUrl, std::string> parse_group_url(std::string_view uri);

// rtsp://host:port/groups/<group>[/<control>]?token=<token>; IPv6 hosts get brackets.
std::string make_group_url(std::string_view host, std::uint16_t port, std::string_view group,
                           std::string_view token, std::string_view control = {});

}  // namespace callcast::rtsp
