#pragma once
// The master terminal's pipeline as gst_parse_launch text (steps 705, 708), and the element
// factories it uses, so that a missing plugin is named before parsing. Pure: the text for each
// option is tested without GStreamer.
#include <string>
#include <vector>

#include "terminal/media/broadcast_options.hpp"

namespace callcast::terminal {

struct BroadcastDescription {
  // The elements it names: rtspclientsink "sink", x264enc "encoder", h264parse "vparse", the
  // audio parser or encoder "aparse", input-selector "selector" (two sources only), the sources
  // "src1"/"src2" (and "dec1"/"dec2" for files).
  std::string text;
  std::vector<std::string> elements;  // every factory it uses, checked before parsing

  // `aac_encoder`: the AAC encoder factory that is installed (avenc_aac, else voaacenc).
  static BroadcastDescription of(const BroadcastOptions& options, const std::string& aac_encoder);
};

}  // namespace callcast::terminal
