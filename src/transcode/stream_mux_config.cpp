#include "transcode/stream_mux_config.hpp"

#include "transcode/bit_reader.hpp"

namespace callcast::transcode {

namespace {

// LatmGetValue(): bytesForValue (2 bits) + 1 bytes, big-endian.
std::uint32_t read_latm_value(BitReader& reader) {
  const unsigned bytes = reader.read(2) + 1;
  std::uint32_t value = 0;
  for (unsigned i = 0; i < bytes; ++i)
    value = (value << 8) | reader.read(8);
  return value;
}

constexpr std::uint32_t kMaxOtherDataBits = 8 * 1024;

}  // namespace

Result<StreamMuxConfig, std::string> StreamMuxConfig::parse(rtp::Bytes bytes) {
  BitReader reader(bytes);
  StreamMuxConfig config;
  config.audio_mux_version = static_cast<std::uint8_t>(reader.read(1));
  if (config.audio_mux_version == 1) {
    if (reader.read_flag()) return fail("StreamMuxConfig audioMuxVersionA 1 is not defined");
    (void)read_latm_value(reader);  // taraBufferFullness
  }
  const bool same_time_framing = reader.read_flag();
  config.sub_frames = static_cast<std::uint8_t>(reader.read(6) + 1);
  const std::uint32_t programs = reader.read(4) + 1;
  const std::uint32_t layers = reader.read(3) + 1;
  if (!reader.ok()) return fail("StreamMuxConfig is truncated");
  if (programs != 1 || layers != 1) {
    return fail("StreamMuxConfig with more than one program or layer is not supported");
  }
  if (!same_time_framing) {
    return fail("StreamMuxConfig without allStreamsSameTimeFraming is not supported");
  }

  if (config.audio_mux_version == 1) {
    const std::uint32_t length = read_latm_value(reader);
    const std::size_t start = reader.position();
    if (!reader.ok()) return fail("StreamMuxConfig is truncated");
    auto audio = AudioSpecificConfig::read(reader);
    if (!audio) return fail("StreamMuxConfig: " + audio.error());
    const std::size_t used = reader.position() - start;
    if (used > length) return fail("StreamMuxConfig AudioSpecificConfig is longer than ascLen");
    reader.skip(length - used);  // fill bits
    config.audio = std::move(*audio);
  } else {
    auto audio = AudioSpecificConfig::read(reader);
    if (!audio) return fail("StreamMuxConfig: " + audio.error());
    config.audio = std::move(*audio);
  }
  if (!reader.ok()) return fail("StreamMuxConfig is truncated");

  if (reader.remaining() < 3) return config;  // GStreamer's short form (see the header)
  const std::uint32_t frame_length_type = reader.read(3);
  if (frame_length_type != 0) {
    return fail("StreamMuxConfig frameLengthType " + std::to_string(frame_length_type) +
                " is not supported (AAC needs 0)");
  }
  if (reader.remaining() < 8 + 1) return config;
  reader.skip(8);            // latmBufferFullness
  if (reader.read_flag()) {  // otherDataPresent
    std::uint32_t bits = 0;
    if (config.audio_mux_version == 1) {
      bits = read_latm_value(reader);
    } else {
      bool escape = true;
      for (int i = 0; escape && i < 4; ++i) {
        escape = reader.read_flag();
        bits = (bits << 8) + reader.read(8);
      }
      if (escape) return fail("StreamMuxConfig otherDataLenBits is too long");
    }
    if (!reader.ok()) return fail("StreamMuxConfig otherDataLenBits is truncated");
    if (bits > kMaxOtherDataBits) return fail("StreamMuxConfig other data is too long");
    config.other_data_bits = bits;
  }
  // crcCheckPresent/crcCheckSum describe the config itself; nothing in the payload depends on them.
  return config;
}

}  // namespace callcast::transcode
