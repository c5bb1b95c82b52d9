#include "transcode/target_audio_format.hpp"

namespace callcast::transcode {

std::uint32_t rtp_clock_rate(TargetAudioCodec codec) {
  return codec == TargetAudioCodec::opus ? 48000 : 8000;
}

std::uint32_t coded_sample_rate(TargetAudioCodec codec) {
  switch (codec) {
    case TargetAudioCodec::pcmu:
    case TargetAudioCodec::pcma:
      return 8000;
    case TargetAudioCodec::g722:
      return 16000;
    case TargetAudioCodec::opus:
      return 48000;
  }
  return 8000;
}

std::string_view encoding_name(TargetAudioCodec codec) {
  switch (codec) {
    case TargetAudioCodec::pcmu:
      return "PCMU";
    case TargetAudioCodec::pcma:
      return "PCMA";
    case TargetAudioCodec::g722:
      return "G722";
    case TargetAudioCodec::opus:
      return "opus";
  }
  return "?";
}

std::optional<std::uint8_t> static_payload_type(TargetAudioCodec codec) {
  switch (codec) {
    case TargetAudioCodec::pcmu:
      return 0;
    case TargetAudioCodec::pcma:
      return 8;
    case TargetAudioCodec::g722:
      return 9;
    case TargetAudioCodec::opus:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace callcast::transcode
