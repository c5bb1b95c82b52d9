#include "transcode/source_audio_format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sdp/session_description.hpp"
#include "transcode/config_hex.hpp"
#include "transcode/latm_depacketizer.hpp"
#include "transcode/opus_depacketizer.hpp"

namespace callcast::transcode {

namespace {

constexpr std::uint32_t kMaxClockRate = 192000;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A small unsigned fmtp value; nullopt when absent, an error when not a number up to `max`.
Result<std::optional<unsigned>, std::string> number_parameter(std::string_view fmtp,
                                                              std::string_view key, unsigned max) {
  const auto text = sdp::fmtp_parameter(fmtp, key);
  if (!text) return std::optional<unsigned>{};
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value > max) {
    return fail("fmtp " + std::string(key) + "=" + *text + " is not a number up to " +
                std::to_string(max));
  }
  return std::optional<unsigned>(value);
}

Result<std::uint32_t, std::string> access_unit_duration(const AudioSpecificConfig& audio,
                                                        std::uint32_t clock_rate) {
  const std::uint64_t ticks =
      (std::uint64_t{audio.frame_length} * clock_rate + audio.sample_rate / 2) / audio.sample_rate;
  if (ticks == 0 || ticks > clock_rate) return fail("RTP clock rate does not fit the AAC rate");
  return static_cast<std::uint32_t>(ticks);
}

Result<SourceAudioFormat, std::string> parse_generic(SourceAudioFormat format,
                                                     std::string_view fmtp) {
  const auto mode = sdp::fmtp_parameter(fmtp, "mode");
  if (!mode) return fail("MPEG4-GENERIC fmtp has no mode");
  if (!iequals(*mode, "AAC-hbr") && !iequals(*mode, "AAC-lbr")) {
    return fail("MPEG4-GENERIC mode " + *mode + " is not AAC-hbr or AAC-lbr");
  }
  auto size_length = number_parameter(fmtp, "sizelength", 16);
  if (!size_length) return fail(size_length.error());
  auto index_length = number_parameter(fmtp, "indexlength", 8);
  if (!index_length) return fail(index_length.error());
  auto delta_length = number_parameter(fmtp, "indexdeltalength", 8);
  if (!delta_length) return fail(delta_length.error());
  if (!*size_length || **size_length == 0) {
    return fail("MPEG4-GENERIC fmtp has no sizelength (constantsize unsupported)");
  }
  format.au_headers = {**size_length, index_length->value_or(0), delta_length->value_or(0)};

  const auto config_text = sdp::fmtp_parameter(fmtp, "config");
  if (!config_text) return fail("MPEG4-GENERIC fmtp has no config");
  auto bytes = decode_config_hex(*config_text);
  if (!bytes) return fail("MPEG4-GENERIC " + bytes.error());
  auto audio = AudioSpecificConfig::parse(*bytes);
  if (!audio) return fail(audio.error());
  format.audio = std::move(*audio);
  auto duration = access_unit_duration(format.audio, format.clock_rate);
  if (!duration) return fail(duration.error());
  format.access_unit_duration = *duration;
  // Accepted here means a depacketizer can be made (the fuzzer found a layout that could not).
  if (auto check = AacAuDepacketizer::create(format.au_headers, *duration); !check) {
    return fail("MPEG4-GENERIC " + check.error());
  }
  return format;
}

Result<SourceAudioFormat, std::string> parse_latm(SourceAudioFormat format, std::string_view fmtp) {
  // RFC 6416 §7.3: cpresent defaults to 1 (StreamMuxConfig in band), which we do not read.
  const auto cpresent = sdp::fmtp_parameter(fmtp, "cpresent");
  if (!cpresent || *cpresent != "0") {
    return fail("MP4A-LATM with an in-band StreamMuxConfig (cpresent not 0) is not supported");
  }
  const auto config_text = sdp::fmtp_parameter(fmtp, "config");
  if (!config_text) return fail("MP4A-LATM fmtp has no config");
  auto bytes = decode_config_hex(*config_text);
  if (!bytes) return fail("MP4A-LATM " + bytes.error());
  auto mux = StreamMuxConfig::parse(*bytes);
  if (!mux) return fail(mux.error());
  format.mux = std::move(*mux);
  format.audio = format.mux.audio;
  auto duration = access_unit_duration(format.audio, format.clock_rate);
  if (!duration) return fail(duration.error());
  format.access_unit_duration = *duration;
  if (auto check = LatmDepacketizer::create(format.mux, *duration); !check) {
    return fail("MP4A-LATM " + check.error());
  }
  return format;
}

}  // namespace

std::string_view to_string(SourceAudioCodec codec) {
  switch (codec) {
    case SourceAudioCodec::aac_generic:
      return "MPEG4-GENERIC";
    case SourceAudioCodec::aac_latm:
      return "MP4A-LATM";
    case SourceAudioCodec::opus:
      return "opus";
  }
  return "?";
}

Result<SourceAudioFormat, std::string> SourceAudioFormat::from_sdp(std::string_view encoding,
                                                                   std::uint32_t clock_rate,
                                                                   std::optional<unsigned> channels,
                                                                   std::string_view fmtp) {
  if (clock_rate == 0 || clock_rate > kMaxClockRate) return fail("RTP clock rate out of range");
  if (channels && (*channels == 0 || *channels > 8)) return fail("channel count out of range");
  SourceAudioFormat format;
  format.clock_rate = clock_rate;
  format.channels = static_cast<std::uint8_t>(channels.value_or(1));
  if (iequals(encoding, "MPEG4-GENERIC")) {
    format.codec = SourceAudioCodec::aac_generic;
    return parse_generic(std::move(format), fmtp);
  }
  if (iequals(encoding, "MP4A-LATM")) {
    format.codec = SourceAudioCodec::aac_latm;
    return parse_latm(std::move(format), fmtp);
  }
  if (iequals(encoding, "opus")) {
    if (clock_rate != 48000) return fail("opus RTP clock must be 48000 (RFC 7587)");
    format.codec = SourceAudioCodec::opus;
    format.channels = 2;
    return format;
  }
  return fail("audio encoding " + std::string(encoding) + " cannot be transcoded");
}

Result<std::unique_ptr<AudioDepacketizer>, std::string> SourceAudioFormat::make_depacketizer()
    const {
  switch (codec) {
    case SourceAudioCodec::aac_generic: {
      auto made = AacAuDepacketizer::create(au_headers, access_unit_duration);
      if (!made) return fail(made.error());
      return std::unique_ptr<AudioDepacketizer>(std::move(*made));
    }
    case SourceAudioCodec::aac_latm: {
      auto made = LatmDepacketizer::create(mux, access_unit_duration);
      if (!made) return fail(made.error());
      return std::unique_ptr<AudioDepacketizer>(std::move(*made));
    }
    case SourceAudioCodec::opus:
      return std::unique_ptr<AudioDepacketizer>(std::make_unique<OpusDepacketizer>());
  }
  return fail("unknown source codec");
}

}  // namespace callcast::transcode
