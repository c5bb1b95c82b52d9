#include "transcode/source_audio_format.hpp"

#include <gtest/gtest.h>

#include "transcode/opus_depacketizer.hpp"
#include "unit/transcode/aac_payload_writer.hpp"
#include "unit/transcode/captured_stream.hpp"

namespace callcast::transcode {
namespace {

std::string error_of(std::string_view encoding, std::uint32_t clock, std::string_view fmtp) {
  auto format = SourceAudioFormat::from_sdp(encoding, clock, 2, fmtp);
  EXPECT_FALSE(format.ok());
  return format.ok() ? "" : format.error();
}

TEST(SourceAudioFormatTest, GStreamerMpeg4GenericCapsParse) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto format = capture.format();
  EXPECT_EQ(format.codec, SourceAudioCodec::aac_generic);
  EXPECT_EQ(format.clock_rate, 48000u);
  EXPECT_EQ(format.au_headers.size_length, 13u);
  EXPECT_EQ(format.au_headers.index_length, 3u);
  EXPECT_EQ(format.access_unit_duration, 1024u);
  EXPECT_EQ(format.audio.channels, 2);
}

TEST(SourceAudioFormatTest, GStreamerLatmCapsParse) {
  const auto format = test::load_capture("aac_latm_44k_mono").format();
  EXPECT_EQ(format.codec, SourceAudioCodec::aac_latm);
  EXPECT_EQ(format.clock_rate, 44100u);
  EXPECT_EQ(format.audio.sample_rate, 44100u);
  EXPECT_EQ(format.audio.channels, 1);
  EXPECT_EQ(format.access_unit_duration, 1024u);
}

TEST(SourceAudioFormatTest, OpusNeedsNoConfig) {
  auto format = SourceAudioFormat::from_sdp("opus", 48000, 2, "");
  ASSERT_TRUE(format.ok()) << format.error();
  EXPECT_EQ(format->codec, SourceAudioCodec::opus);
  EXPECT_NE(error_of("opus", 16000, "").find("48000"), std::string::npos);
}

TEST(SourceAudioFormatTest, HeAacClockAtTheOutputRateGivesDoubleDurations) {
  // Core 24 kHz with SBR to 48 kHz, RTP clock at 48 kHz: 2048 ticks per access unit.
  auto format = SourceAudioFormat::from_sdp(
      "MPEG4-GENERIC", 48000, 2,
      "mode=AAC-hbr;config=2b118800;sizelength=13;indexlength=3;indexdeltalength=3");
  ASSERT_TRUE(format.ok()) << format.error();
  EXPECT_EQ(format->access_unit_duration, 2048u);
}

TEST(SourceAudioFormatTest, IncompleteOrUnsupportedFmtpIsRefusedWithTheReason) {
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "config=1190;sizelength=13").find("mode"),
            std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=CELP-cbr;config=1190").find("CELP"),
            std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;config=1190").find("sizelength"),
            std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;sizelength=13").find("config"),
            std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;sizelength=x13;config=1190")
                .find("sizelength"),
            std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;sizelength=13;config=11g0").find("hex"),
            std::string::npos);
  EXPECT_NE(error_of("MP4A-LATM", 48000, "config=40002320adca00").find("cpresent"),
            std::string::npos);
  EXPECT_NE(error_of("MP4A-LATM", 48000, "cpresent=1;config=40002320adca00").find("cpresent"),
            std::string::npos);
  EXPECT_NE(error_of("MP4A-LATM", 48000, "cpresent=0;config=4010").find("program"),
            std::string::npos);
  // Found by audio_config_fuzz: accepted, then no depacketizer could be made for it.
  EXPECT_NE(
      error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;sizelength=0;config=1190").find("sizelength"),
      std::string::npos);
  EXPECT_NE(error_of("MPEG4-GENERIC", 48000, "mode=AAC-hbr;sizelength=13;indexlength=9;config=1190")
                .find("indexlength"),
            std::string::npos);
  EXPECT_NE(error_of("PCMU", 8000, "").find("cannot be transcoded"), std::string::npos);
  EXPECT_NE(error_of("MP4A-LATM", 0, "").find("clock"), std::string::npos);
}

TEST(OpusDepacketizerTest, EachPacketIsOneUnitAndEmptyOnesAreRefused) {
  OpusDepacketizer depacketizer;
  const test::ByteVector payload = {0xfc, 1, 2, 3};
  auto out = depacketizer.push(test::audio_packet(payload, 960, 1));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp, 960u);
  EXPECT_EQ((*out)[0].data.size(), 4u);
  EXPECT_FALSE(depacketizer.push(test::audio_packet({}, 1920, 2)).ok());
  EXPECT_TRUE(depacketizer.push(test::audio_packet(payload, 0, 1))->empty());  // late
  EXPECT_EQ(depacketizer.counters().late, 1u);
  EXPECT_EQ(depacketizer.counters().malformed, 1u);
}

TEST(OpusDepacketizerTest, GStreamerCaptureGivesOneUnitPerPacket) {
  const auto capture = test::load_capture("opus_48k_stereo");
  auto depacketizer = capture.format().make_depacketizer().value();
  std::size_t units = 0;
  for (std::size_t i = 0; i < capture.packets.size(); ++i) {
    units += depacketizer->push(capture.packet(i))->size();
  }
  EXPECT_EQ(units, capture.packets.size());
}

}  // namespace
}  // namespace callcast::transcode
