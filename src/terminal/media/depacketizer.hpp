#pragma once
// Which GStreamer elements take one received RTP stream apart, by the medium and encoding its
// SDP announces (the relay describes audio exactly as the master announced it: AAC as
// MPEG4-GENERIC or MP4A-LATM, or Opus). Pure.
#include <string_view>
#include <vector>

namespace callcast::terminal {

struct Depacketizer {
  const char* depay = nullptr;  // null: the stream is not supported
  const char* parse = nullptr;
  const char* decoder = nullptr;  // for display

  // `media`: "video" | "audio"; `encoding`: the rtpmap's encoding name as rtspsrc gives it.
  static Depacketizer of(std::string_view media, std::string_view encoding);
  // Every supported stream's elements, video first (what a viewer may have to build).
  static std::vector<Depacketizer> all();
};

}  // namespace callcast::terminal
