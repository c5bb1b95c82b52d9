#include "terminal/media/broadcast_options.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

TEST(ParseSource, TestPattern) {
  const auto source = parse_source("test");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->kind, SourceSpec::Kind::test);
}

TEST(ParseSource, FileKeepsItsPathVerbatim) {
  const auto source = parse_source("file:/tmp/a clip:1.mp4");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->kind, SourceSpec::Kind::file);
  EXPECT_EQ(source->path, "/tmp/a clip:1.mp4");
}

TEST(ParseSource, V4l2Device) {
  const auto source = parse_source("v4l2:/dev/video2");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->kind, SourceSpec::Kind::v4l2);
  EXPECT_EQ(source->path, "/dev/video2");
}

TEST(ParseSource, RejectsWhatItDoesNotKnowWithTheChoices) {
  for (const char* text :
       {"", "camera", "file:", "v4l2:", "v4l2:/dev/sda", "v4l2:/dev/video", "TEST"}) {
    const auto source = parse_source(text);
    ASSERT_FALSE(source.ok()) << text;
    EXPECT_FALSE(source.error().empty());
  }
  EXPECT_NE(parse_source("camera").error().find("test, file:PATH or v4l2:/dev/videoN"),
            std::string::npos);
}

TEST(ParseAudioSource, KnowsTheFourChoices) {
  EXPECT_EQ(parse_audio_source("test").value(), AudioSource::test);
  EXPECT_EQ(parse_audio_source("alsa").value(), AudioSource::alsa);
  EXPECT_EQ(parse_audio_source("file").value(), AudioSource::file);
  EXPECT_EQ(parse_audio_source("none").value(), AudioSource::none);
  const auto bad = parse_audio_source("pulse");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("pulse"), std::string::npos);
}

TEST(BroadcastOptionsError, TheDefaultsAreFine) {
  EXPECT_EQ(broadcast_options_error(BroadcastOptions{}), std::nullopt);
}

TEST(BroadcastOptionsError, SizesRatesAndIntervals) {
  BroadcastOptions options;
  options.width = 641;
  EXPECT_EQ(broadcast_options_error(options),
            "bad picture size 641x720: needs even numbers of at least 16");
  options = {};
  options.height = 14;
  EXPECT_TRUE(broadcast_options_error(options));
  options = {};
  options.fps = 121;
  EXPECT_EQ(broadcast_options_error(options), "bad frame rate: 1 to 120 fps");
  options.fps = 0;
  EXPECT_TRUE(broadcast_options_error(options));
  options = {};
  options.bitrate_kbps = 15;
  EXPECT_EQ(broadcast_options_error(options), "bad bitrate: at least 16 kbit/s");
  options = {};
  options.keyframe_interval_s = 0;
  EXPECT_EQ(broadcast_options_error(options), "bad keyframe interval: at least 1 s");
}

TEST(BroadcastOptionsError, TheMinimumBitrateIsAtMostTheBitrate) {
  BroadcastOptions options;
  options.bitrate_kbps = 1000;
  EXPECT_EQ(min_bitrate_kbps_of(options), 250);
  options.min_bitrate_kbps = 1000;
  EXPECT_FALSE(broadcast_options_error(options));
  EXPECT_EQ(min_bitrate_kbps_of(options), 1000);
  options.min_bitrate_kbps = 1001;
  EXPECT_TRUE(broadcast_options_error(options));
  options.min_bitrate_kbps = 15;
  EXPECT_TRUE(broadcast_options_error(options));
  options.min_bitrate_kbps = 0;
  options.bitrate_kbps = 40;
  EXPECT_EQ(min_bitrate_kbps_of(options), 16);  // the least x264 is given
}

TEST(BroadcastOptionsError, SourcesMustExist) {
  BroadcastOptions options;
  options.source = SourceSpec{SourceSpec::Kind::file, "/nonexistent/clip.mp4"};
  EXPECT_EQ(broadcast_options_error(options), "source file not found: /nonexistent/clip.mp4");
  options.source = SourceSpec{SourceSpec::Kind::file, "/tmp"};  // a directory is not a file
  EXPECT_EQ(broadcast_options_error(options), "source file not found: /tmp");
  options = {};
  options.source2 = SourceSpec{SourceSpec::Kind::v4l2, "/dev/video99"};
  EXPECT_EQ(broadcast_options_error(options), "v4l2 device not found: /dev/video99");
}

TEST(BroadcastOptionsError, FileAudioNeedsAFileSource) {
  BroadcastOptions options;
  options.audio = AudioSource::file;
  EXPECT_EQ(broadcast_options_error(options),
            "--audio file takes the sound of a file source; the source is not a file");
}

}  // namespace
}  // namespace callcast::terminal
