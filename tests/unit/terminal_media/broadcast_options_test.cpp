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

}  // namespace
}  // namespace callcast::terminal
