#include "sipwire/group_codecs.hpp"

namespace callcast::sip {

std::string_view encoding_name(AudioCodec codec) {
  switch (codec) {
    case AudioCodec::aac_mpeg4_generic:
      return "MPEG4-GENERIC";
    case AudioCodec::aac_latm:
      return "MP4A-LATM";
    case AudioCodec::opus:
      return "opus";
    case AudioCodec::g722:
      return "G722";
    case AudioCodec::pcmu:
      return "PCMU";
    case AudioCodec::pcma:
      return "PCMA";
  }
  return "opus";
}

std::optional<AudioCodec> audio_codec_of(const OfferedFormat& format) {
  // RFC 7587 §7: opus is always written 48000/2, whatever is sent.
  if (format.is("opus")) {
    if (format.clock_rate == 48000 && format.channels == 2) return AudioCodec::opus;
    return std::nullopt;
  }
  // RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock is 8000.
  if (format.clock_rate == 8000 && format.channels == 1) {
    if (format.is("PCMU")) return AudioCodec::pcmu;
    if (format.is("PCMA")) return AudioCodec::pcma;
    if (format.is("G722")) return AudioCodec::g722;
  }
  if (format.is("MPEG4-GENERIC")) return AudioCodec::aac_mpeg4_generic;
  if (format.is("MP4A-LATM")) return AudioCodec::aac_latm;
  return std::nullopt;
}

std::string describe(const GroupVideo& video) {
  return "H264 (" + video.profile_level_id.to_string() +
         ", packetization-mode=" + std::to_string(video.packetization_mode) + ")";
}

std::string describe(const GroupAudio& audio) {
  std::string text =
      std::string(encoding_name(audio.codec)) + "/" + std::to_string(audio.clock_rate);
  if (audio.channels != 1 || audio.codec == AudioCodec::opus) {
    text += "/" + std::to_string(audio.channels);
  }
  return text;
}

std::string describe(const OfferedFormat& format, MediaKind kind) {
  if (format.encoding.empty()) return "payload type " + std::to_string(format.payload_type);
  if (format.is("H264")) {
    const auto profile_level_id = H264ProfileLevelId::from_fmtp(format.fmtp);
    const auto mode = packetization_mode_from_fmtp(format.fmtp);
    return "H264 (" + (profile_level_id ? profile_level_id->to_string() : "bad profile-level-id") +
           ", packetization-mode=" + (mode ? std::to_string(*mode) : "?") + ")";
  }
  if (kind != MediaKind::audio) return format.encoding;
  std::string text = format.encoding + "/" + std::to_string(format.clock_rate);
  if (format.channels != 1) text += "/" + std::to_string(format.channels);
  return text;
}

}  // namespace callcast::sip
