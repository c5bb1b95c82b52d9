#include "transcode/stream_mux_config.hpp"

#include <gtest/gtest.h>

#include "transcode/config_hex.hpp"

namespace callcast::transcode::stream_mux_config_test {
namespace {

Result<StreamMuxConfig, std::string> parse_hex(std::string_view hex) {
  return StreamMuxConfig::parse(*decode_config_hex(hex));
}

TEST(StreamMuxConfigTest, GStreamerShortFormParses) {
  // rtpmp4apay: version 0, one sub-frame, then avenc_aac's 5 config bytes and nothing after.
  const auto config = parse_hex("40002320adca00");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->audio_mux_version, 0);
  EXPECT_EQ(config->sub_frames, 1);
  EXPECT_EQ(config->audio.sample_rate, 48000u);
  EXPECT_EQ(config->audio.channels, 2);
  EXPECT_FALSE(config->audio.sbr);
  EXPECT_EQ(config->audio.bytes, (std::vector<std::uint8_t>{0x11, 0x90, 0x56, 0xe5, 0x00}));
}

TEST(StreamMuxConfigTest, GStreamerMono44kParses) {
  const auto config = parse_hex("40002410adca00");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->audio.sample_rate, 44100u);
  EXPECT_EQ(config->audio.channels, 1);
}

TEST(StreamMuxConfigTest, FullFormWithBufferFullnessParses) {
  // As FFmpeg writes it: ASC 1190 (LC 48 kHz stereo), frameLengthType 0, fullness 0xff, no
  // other data, no CRC.
  const auto config = parse_hex("400023203fc0");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->audio.bytes, (std::vector<std::uint8_t>{0x11, 0x90}));
  EXPECT_EQ(config->other_data_bits, 0u);
}

TEST(StreamMuxConfigTest, SubFramesAndOtherDataAreRead) {
  // numSubFrames 3 (4 sub-frames): 0 1 000011 0000 000 | ASC 0001000110010000 (1190) |
  // 000 11111111 | otherDataPresent 1, esc 0, 00010000 (16 bits) | crc 0 -> pad
  const auto config = parse_hex("430023203fe100");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->sub_frames, 4);
  EXPECT_EQ(config->other_data_bits, 16u);
}

TEST(StreamMuxConfigTest, VersionOneReadsAscLength) {
  // version 1, A 0, taraBufferFullness (bytes 1: 0xff), same framing 1, subframes 0, prog 0,
  // layer 0, ascLen (bytes 1: 16), ASC 1190, frameLengthType 0, fullness ff, other 0, crc 0.
  // 1 0 00 11111111 1 000000 0000 000 00 00010000 0001000110010000 000 11111111 0 0
  const auto config = parse_hex("8ff80001011901fe00");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->audio_mux_version, 1);
  EXPECT_EQ(config->audio.sample_rate, 48000u);
}

TEST(StreamMuxConfigTest, SeveralProgramsAreRefused) {
  const auto config = parse_hex("40102320");  // numProgram 1 (two programs)
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("more than one program"), std::string::npos);
}

TEST(StreamMuxConfigTest, OtherFrameLengthTypeIsRefused) {
  const auto config = parse_hex("4000232080");  // frameLengthType 2 (CELP/HVXC kinds)
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("frameLengthType"), std::string::npos);
}

TEST(StreamMuxConfigTest, TruncatedConfigIsRefused) {
  EXPECT_FALSE(parse_hex("40").ok());
  EXPECT_FALSE(parse_hex("4000").ok());
  EXPECT_FALSE(parse_hex("400023").ok());
}

TEST(StreamMuxConfigTest, AudioMuxVersionAIsRefused) {
  const auto config = parse_hex("c0");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("audioMuxVersionA"), std::string::npos);
}

}  // namespace
}  // namespace callcast::transcode::stream_mux_config_test
