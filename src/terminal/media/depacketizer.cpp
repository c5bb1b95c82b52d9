#include "terminal/media/depacketizer.hpp"

namespace callcast::terminal {

Depacketizer Depacketizer::of(std::string_view media, std::string_view encoding) {
  if (media == "video" && encoding == "H264") return {"rtph264depay", "h264parse", "avdec_h264"};
  if (media == "audio" && encoding == "MPEG4-GENERIC") {
    return {"rtpmp4gdepay", "aacparse", "avdec_aac"};
  }
  if (media == "audio" && encoding == "MP4A-LATM") return {"rtpmp4adepay", "aacparse", "avdec_aac"};
  if (media == "audio" && encoding == "OPUS") return {"rtpopusdepay", "opusparse", "opusdec"};
  return {};
}

}  // namespace callcast::terminal
