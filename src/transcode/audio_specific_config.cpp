#include "transcode/audio_specific_config.hpp"

#include <array>

namespace callcast::transcode {

namespace {

constexpr std::array<std::uint32_t, 13> kSampleRates = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};
constexpr std::array<std::uint8_t, 8> kChannelsForConfiguration = {0, 1, 2, 3, 4, 5, 6, 8};
constexpr std::uint32_t kSyncExtension = 0x2b7;
constexpr std::uint8_t kObjectSbr = 5;
constexpr std::uint8_t kObjectPs = 29;
constexpr std::uint32_t kMaxSampleRate = 192000;

std::uint8_t read_object_type(BitReader& reader) {
  std::uint32_t type = reader.read(5);
  if (type == 31) type = 32 + reader.read(6);
  return static_cast<std::uint8_t>(type);
}

// 0 for a reserved index or an explicit rate out of range.
std::uint32_t read_sample_rate(BitReader& reader) {
  const std::uint32_t index = reader.read(4);
  if (index == 15) {
    const std::uint32_t rate = reader.read(24);
    return rate > 0 && rate <= kMaxSampleRate ? rate : 0;
  }
  return index < kSampleRates.size() ? kSampleRates[index] : 0;
}

bool is_supported_core(std::uint8_t type) {
  return type == 1 || type == 2 || type == 4;
}

}  // namespace

Result<AudioSpecificConfig, std::string> AudioSpecificConfig::read(BitReader& reader) {
  const std::size_t start = reader.position();
  BitReader copy_from = reader;  // to re-align the config's bits afterwards
  AudioSpecificConfig config;

  std::uint8_t type = read_object_type(reader);
  config.sample_rate = read_sample_rate(reader);
  config.channel_configuration = static_cast<std::uint8_t>(reader.read(4));
  if (!reader.ok()) return fail("AudioSpecificConfig is truncated");
  if (config.sample_rate == 0) return fail("AudioSpecificConfig has a reserved sampling rate");
  config.output_sample_rate = config.sample_rate;
  if (type == kObjectSbr || type == kObjectPs) {
    config.sbr = true;
    config.ps = type == kObjectPs;
    config.output_sample_rate = read_sample_rate(reader);
    type = read_object_type(reader);
    if (!reader.ok()) return fail("AudioSpecificConfig is truncated");
    if (config.output_sample_rate == 0) {
      return fail("AudioSpecificConfig has a reserved SBR sampling rate");
    }
  }
  if (!is_supported_core(type)) {
    return fail("AudioSpecificConfig object type " + std::to_string(type) +
                " is not an AAC Main, LC or LTP core");
  }
  config.object_type = type;
  if (config.channel_configuration == 0) {
    return fail("AudioSpecificConfig with a program_config_element is not supported");
  }
  if (config.channel_configuration >= kChannelsForConfiguration.size()) {
    return fail("AudioSpecificConfig has a reserved channel configuration");
  }
  config.channels = kChannelsForConfiguration[config.channel_configuration];

  // GASpecificConfig
  config.frame_length = reader.read_flag() ? 960 : 1024;
  if (reader.read_flag()) reader.skip(14);  // coreCoderDelay
  if (reader.read_flag()) return fail("AudioSpecificConfig extensionFlag is set for a non-ER core");
  if (!reader.ok()) return fail("AudioSpecificConfig is truncated");

  if (!config.sbr && reader.remaining() >= 16 && reader.peek(11) == kSyncExtension) {
    reader.skip(11);
    const std::uint8_t extension = read_object_type(reader);
    if (extension == kObjectSbr) {
      config.sbr = reader.read_flag();
      if (config.sbr) {
        config.output_sample_rate = read_sample_rate(reader);
        if (reader.ok() && config.output_sample_rate == 0) {
          return fail("AudioSpecificConfig has a reserved SBR sampling rate");
        }
        if (reader.remaining() >= 12 && reader.peek(11) == 0x548) {
          reader.skip(11);
          config.ps = reader.read_flag();
        }
      }
    }
    if (!reader.ok()) return fail("AudioSpecificConfig sync extension is truncated");
  }

  config.bit_length = reader.position() - start;
  config.bytes.assign((config.bit_length + 7) / 8, 0);
  for (std::size_t i = 0; i < config.bit_length; ++i) {
    if (copy_from.read_flag()) {
      config.bytes[i / 8] = static_cast<std::uint8_t>(config.bytes[i / 8] | (0x80u >> (i % 8)));
    }
  }
  return config;
}

Result<AudioSpecificConfig, std::string> AudioSpecificConfig::parse(rtp::Bytes config) {
  BitReader reader(config);
  auto parsed = read(reader);
  if (!parsed) return parsed;
  // Keep the caller's bytes: a decoder may look at trailing extension bits we skipped.
  parsed->bytes.assign(config.begin(), config.end());
  return parsed;
}

}  // namespace callcast::transcode
