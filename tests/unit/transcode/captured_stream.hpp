#pragma once
// Test fixtures: RTP packets captured from GStreamer's own payloaders (data/capture.sh), read
// from RFC 4571 framing (16-bit length, packet), with the payloader's caps turned into what an
// SDP would say (rtpmap encoding, clock, channels; fmtp parameters).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transcode/audio_depacketizer.hpp"
#include "transcode/source_audio_format.hpp"

namespace callcast::transcode::test {

struct CapturedStream {
  std::string encoding;
  std::uint32_t clock_rate = 0;
  std::optional<unsigned> channels;
  std::string fmtp;
  std::vector<std::vector<std::uint8_t>> packets;  // whole RTP packets

  SourceAudioFormat format() const;  // asserts the fixture's SDP parses
  AudioRtpPacket packet(std::size_t index) const;
};

// name: a fixture of tests/unit/transcode/data without extension, e.g. "aac_hbr_48k_stereo".
CapturedStream load_capture(const std::string& name);

}  // namespace callcast::transcode::test
