#include "transcode/audio_specific_config.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "transcode/config_hex.hpp"

namespace callcast::transcode::audio_specific_config_test {
namespace {

AudioSpecificConfig parse_hex(std::string_view hex) {
  auto bytes = decode_config_hex(hex);
  EXPECT_TRUE(bytes.ok());
  auto config = AudioSpecificConfig::parse(*bytes);
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error());
  return config.ok() ? *config : AudioSpecificConfig{};
}

std::string parse_error(std::vector<std::uint8_t> bytes) {
  auto config = AudioSpecificConfig::parse(bytes);
  EXPECT_FALSE(config.ok());
  return config.ok() ? "" : config.error();
}

TEST(AudioSpecificConfigTest, GStreamerAacLcWithSyncExtensionParses) {
  // avenc_aac's codec data as rtpmp4gpay puts it in config=: LC 48 kHz stereo, then the
  // explicit "no SBR" sync extension (0x2b7, object 5, sbrPresentFlag 0).
  const auto config = parse_hex("119056e500");
  EXPECT_EQ(config.object_type, 2);
  EXPECT_EQ(config.sample_rate, 48000u);
  EXPECT_EQ(config.output_sample_rate, 48000u);
  EXPECT_EQ(config.channels, 2);
  EXPECT_FALSE(config.sbr);
  EXPECT_EQ(config.frame_length, 1024);
  EXPECT_EQ(config.bytes, (std::vector<std::uint8_t>{0x11, 0x90, 0x56, 0xe5, 0x00}));
  EXPECT_EQ(config.bit_length, 33u);
}

TEST(AudioSpecificConfigTest, PlainTwoByteConfigParses) {
  const auto config = parse_hex("1210");  // LC 44.1 kHz stereo
  EXPECT_EQ(config.sample_rate, 44100u);
  EXPECT_EQ(config.channels, 2);
  EXPECT_EQ(config.bit_length, 16u);
}

TEST(AudioSpecificConfigTest, HierarchicalSbrSignallingGivesTheDoubledRate) {
  // object 5 (SBR), core 24 kHz, extension 48 kHz, core object 2: 2b 11 88 00.
  const auto config = parse_hex("2b118800");
  EXPECT_TRUE(config.sbr);
  EXPECT_EQ(config.object_type, 2);
  EXPECT_EQ(config.sample_rate, 24000u);
  EXPECT_EQ(config.output_sample_rate, 48000u);
}

TEST(AudioSpecificConfigTest, BackwardCompatibleSbrSignallingGivesTheDoubledRate) {
  // LC 24 kHz stereo, sync extension 0x2b7, object 5, sbrPresentFlag 1, extension index 3.
  const auto config = parse_hex("131056e598");
  EXPECT_TRUE(config.sbr);
  EXPECT_EQ(config.sample_rate, 24000u);
  EXPECT_EQ(config.output_sample_rate, 48000u);
}

TEST(AudioSpecificConfigTest, FrameLengthFlagGives960Samples) {
  const auto config = parse_hex("1194");  // 0x1190 with frameLengthFlag set
  EXPECT_EQ(config.frame_length, 960);
}

TEST(AudioSpecificConfigTest, ExplicitSampleRateEscapeIsRead) {
  // object 2, index 15, 24-bit rate 32000 (0x007d00), channels 1, GA 000:
  // 00010 1111 000000000111110100000000 0001 000 -> 17 80 3e 80 08 00
  const auto config = parse_hex("17803e800800");
  EXPECT_EQ(config.sample_rate, 32000u);
  EXPECT_EQ(config.channels, 1);
}

TEST(AudioSpecificConfigTest, TruncatedConfigIsRefused) {
  EXPECT_NE(parse_error({0x11}).find("truncated"), std::string::npos);
  EXPECT_NE(parse_error({}).find("truncated"), std::string::npos);
}

TEST(AudioSpecificConfigTest, ProgramConfigElementIsRefused) {
  EXPECT_NE(parse_error({0x11, 0x80}).find("program_config_element"), std::string::npos);
}

TEST(AudioSpecificConfigTest, ReservedSampleRateIndexIsRefused) {
  // index 13: 00010 1101 0010 000
  EXPECT_NE(parse_error({0x16, 0x90}).find("reserved sampling rate"), std::string::npos);
}

TEST(AudioSpecificConfigTest, NonAacObjectTypeIsRefused) {
  // object 8 (CELP): 01000 0011 0010 000
  EXPECT_NE(parse_error({0x41, 0x90}).find("object type 8"), std::string::npos);
}

TEST(AudioSpecificConfigTest, ReservedChannelConfigurationIsRefused) {
  // channelConfiguration 9 is not one we map: 00010 0011 1001 000
  EXPECT_NE(parse_error({0x11, 0xc8}).find("channel configuration"), std::string::npos);
}

TEST(ConfigHexTest, DecodesEitherCaseAndRefusesTheRest) {
  EXPECT_EQ(*decode_config_hex("0aFf"), (std::vector<std::uint8_t>{0x0a, 0xff}));
  EXPECT_FALSE(decode_config_hex("").ok());
  EXPECT_FALSE(decode_config_hex("abc").ok());
  EXPECT_FALSE(decode_config_hex("zz").ok());
  EXPECT_FALSE(decode_config_hex(std::string(130, 'a')).ok());
}

}  // namespace
}  // namespace callcast::transcode::audio_specific_config_test
