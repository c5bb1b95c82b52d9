#include "terminal/media/depacketizer.hpp"

#include <array>

namespace callcast::terminal {

namespace {

struct Entry {
  std::string_view media;
  std::string_view encoding;
  Depacketizer elements;
};

constexpr std::array kEntries{
    Entry{"video", "H264", {"rtph264depay", "h264parse", "avdec_h264"}},
    Entry{"audio", "MPEG4-GENERIC", {"rtpmp4gdepay", "aacparse", "avdec_aac"}},
    Entry{"audio", "MP4A-LATM", {"rtpmp4adepay", "aacparse", "avdec_aac"}},
    Entry{"audio", "OPUS", {"rtpopusdepay", "opusparse", "opusdec"}},
};

}  // namespace

Depacketizer Depacketizer::of(std::string_view media, std::string_view encoding) {
  for (const Entry& entry : kEntries) {
    if (entry.media == media && entry.encoding == encoding) return entry.elements;
  }
  return {};
}

std::vector<Depacketizer> Depacketizer::all() {
  std::vector<Depacketizer> all;
  for (const Entry& entry : kEntries)
    all.push_back(entry.elements);
  return all;
}

}  // namespace callcast::terminal
