#pragma once
// MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), the AAC decoder's configuration. It
// reaches us hex-coded in `config=` of an MPEG4-GENERIC fmtp (RFC 3640), or inside a LATM
// StreamMuxConfig (RFC 6416), where it is not byte-aligned and its length is known only by
// parsing it.
//
//   audioObjectType        5 bits (31: escape, 32 + next 6 bits)
//   samplingFrequencyIndex 4 bits (15: explicit 24-bit frequency follows)
//   channelConfiguration   4 bits
//   [objectType 5 (SBR) or 29 (PS): extensionSamplingFrequencyIndex 4(+24), audioObjectType 5]
//   GASpecificConfig: frameLengthFlag 1, dependsOnCoreCoder 1 [coreCoderDelay 14], extensionFlag 1
//   [syncExtensionType 11 = 0x2b7, extensionAudioObjectType 5, sbrPresentFlag 1,
//    [extensionSamplingFrequencyIndex 4(+24)]]   (explicit backward-compatible SBR signalling)
//
// Supported: AAC Main, LC and LTP cores (object types 1, 2, 4), with or without SBR/PS (5, 29),
// channel configurations 1-7. Not supported (clear error): a program_config_element
// (channelConfiguration 0), error-resilient and non-AAC object types.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "transcode/bit_reader.hpp"

namespace callcast::transcode {

struct AudioSpecificConfig {
  std::uint8_t object_type = 0;          // the core coder after the SBR/PS wrapper (2: AAC LC)
  std::uint32_t sample_rate = 0;         // the core coder's sampling rate
  std::uint32_t output_sample_rate = 0;  // SBR's doubled rate when signalled, else sample_rate
  std::uint8_t channel_configuration = 0;
  std::uint8_t channels = 0;
  bool sbr = false;  // signalled explicitly (implicit SBR is found by decoding)
  bool ps = false;
  std::uint16_t frame_length = 1024;  // core samples per access unit (960 with frameLengthFlag)
  std::vector<std::uint8_t> bytes;    // the config re-aligned to bytes: a decoder's extradata
  std::size_t bit_length = 0;

  // A whole config (MPEG4-GENERIC): trailing bits after it are allowed (byte padding).
  static Result<AudioSpecificConfig, std::string> parse(rtp::Bytes config);
  // Reads one config from `reader` and leaves it right after (LATM StreamMuxConfig).
  static Result<AudioSpecificConfig, std::string> read(BitReader& reader);
};

}  // namespace callcast::transcode
