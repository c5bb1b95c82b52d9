// Fuzzes the audio configuration parsers: AudioSpecificConfig from bytes, and a publisher's SDP
// audio format (fmtp text with config= in hex) for MPEG4-GENERIC, MP4A-LATM and opus.
// Invariants: an accepted config has a rate, 1-8 channels, its bytes are the input, and an
// accepted SDP format makes a depacketizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transcode/source_audio_format.hpp"

using namespace callcast::transcode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const callcast::rtp::Bytes bytes(data, size);
  const auto config = AudioSpecificConfig::parse(bytes);
  if (config) {
    if (config->sample_rate == 0 || config->output_sample_rate == 0) __builtin_trap();
    if (config->channels == 0 || config->channels > 8) __builtin_trap();
    if (config->bytes.size() != size || config->bit_length > size * 8) __builtin_trap();
  }
  const std::string_view fmtp(reinterpret_cast<const char*>(data), size);
  for (const std::string_view encoding : {"MPEG4-GENERIC", "MP4A-LATM", "opus"}) {
    const auto format = SourceAudioFormat::from_sdp(encoding, 48000, 2, fmtp);
    if (format && !format->make_depacketizer()) __builtin_trap();
    if (format && format->codec != SourceAudioCodec::opus && format->access_unit_duration == 0) {
      __builtin_trap();
    }
  }
  return 0;
}
