#pragma once
// The codec a group's phones get when they cannot take the group's own audio (issue 13): one
// transcoded stream per group and target, shared by every phone that negotiated it.
//
//   codec  SDP rtpmap      RTP clock  coded rate  20 ms frame  (RFC 3551 §4.5, RFC 7587)
//   pcmu   PCMU/8000 (0)   8000       8000        160 samples, 160 bytes
//   pcma   PCMA/8000 (8)   8000       8000        160 samples, 160 bytes
//   g722   G722/8000 (9)   8000       16000       320 samples, 160 bytes (the clock is 8000 by
//                                                  an error kept for compatibility, §4.5.2)
//   opus   opus/48000/2    48000      48000       960 samples
#include <cstdint>
#include <optional>
#include <string_view>

namespace callcast::transcode {

enum class TargetAudioCodec { pcmu, pcma, g722, opus };

struct TargetAudioFormat {
  TargetAudioCodec codec = TargetAudioCodec::pcmu;
  std::uint8_t payload_type = 0;  // as negotiated with the phones
  std::uint8_t channels = 1;      // opus only: 2 when the phones asked for stereo=1
  std::uint32_t bitrate = 0;      // opus only, bits/s; 0: 32000 mono, 64000 stereo

  static constexpr std::uint32_t kFrameMilliseconds = 20;
};

std::uint32_t rtp_clock_rate(TargetAudioCodec codec);
std::uint32_t coded_sample_rate(TargetAudioCodec codec);
std::string_view encoding_name(TargetAudioCodec codec);  // as in rtpmap
std::optional<std::uint8_t> static_payload_type(TargetAudioCodec codec);

}  // namespace callcast::transcode
