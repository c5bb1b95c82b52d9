#pragma once
// LATM StreamMuxConfig (ISO/IEC 14496-3 §1.7.3), carried out of band as `config=` of an
// MP4A-LATM fmtp with cpresent=0 (RFC 6416 §7.3). Only the one-program, one-layer form a
// single AAC stream uses:
//
//   audioMuxVersion 1 [=1: audioMuxVersionA 1 (must be 0), taraBufferFullness LatmGetValue]
//   allStreamsSameTimeFraming 1 (must be 1)   numSubFrames 6   numProgram 4 (0)   numLayer 3 (0)
//   AudioSpecificConfig (version 1: preceded by its length as LatmGetValue, then fill bits)
//   frameLengthType 3 (must be 0: payload lengths in PayloadLengthInfo)   latmBufferFullness 8
//   otherDataPresent 1 [otherDataLenBits]   crcCheckPresent 1 [crcCheckSum 8]
//
// GStreamer's rtpmp4apay ends its config right after the AudioSpecificConfig's bytes (it copies
// the codec data and stops), so the fields after the AudioSpecificConfig are read when present
// and otherwise take the values a single AAC stream has: frameLengthType 0, no other data, no CRC.
#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "transcode/audio_specific_config.hpp"

namespace callcast::transcode {

struct StreamMuxConfig {
  std::uint8_t audio_mux_version = 0;
  std::uint8_t sub_frames = 1;  // numSubFrames + 1: AAC frames per AudioMuxElement
  AudioSpecificConfig audio;
  std::uint32_t other_data_bits = 0;  // after the sub-frames of every AudioMuxElement

  static Result<StreamMuxConfig, std::string> parse(rtp::Bytes config);
};

}  // namespace callcast::transcode
