#pragma once
// An RTSP response being built by a method handler, and what runs once it is queued.
#include <functional>
#include <string>
#include <string_view>

#include "rtsp/rtsp_message.hpp"

namespace callcast::media {

struct RtspReply {
  rtsp::RtspResponse response;
  std::function<void()> after;  // runs once the response is queued (e.g. start delivery)

  RtspReply& error(int status, std::string_view why) {
    response.status = status;
    response.reason.clear();
    if (!why.empty()) response.add("Warning", "399 callcast \"" + std::string(why) + "\"");
    return *this;
  }
  bool failed() const { return response.status >= 300; }
};

}  // namespace callcast::media
