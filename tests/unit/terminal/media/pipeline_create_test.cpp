// create() validates what it is given before anything runs: no server needed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "terminal/media/broadcast_pipeline.hpp"
#include "terminal/media/watch_pipeline.hpp"

namespace callcast::terminal {
namespace {

// The error create() gives for `options`; a failure (and "") when it builds.
std::string create_error(const BroadcastOptions& options) {
  const auto pipeline = BroadcastPipeline::create(options);
  if (pipeline.ok()) ADD_FAILURE() << "the pipeline was built";
  return pipeline.ok() ? "" : pipeline.error();
}

TEST(BroadcastPipelineCreate, BuildsTheTestPatternWithAac) {
  BroadcastOptions options;
  options.width = 640;
  options.height = 360;
  const auto pipeline = BroadcastPipeline::create(options);
  ASSERT_TRUE(pipeline.ok()) << pipeline.error();
  EXPECT_EQ((*pipeline)->stats().frames_sent, 0u);
  EXPECT_EQ((*pipeline)->stats().active_source, 1);
}

TEST(BroadcastPipelineCreate, BuildsTwoSourcesWithOpus) {
  BroadcastOptions options;
  options.source2 = SourceSpec{SourceSpec::Kind::test, ""};
  options.audio_codec = AudioCodec::opus;
  const auto pipeline = BroadcastPipeline::create(options);
  ASSERT_TRUE(pipeline.ok()) << pipeline.error();
  // Not started: nothing to switch yet.
  EXPECT_FALSE((*pipeline)->switch_source());
}

TEST(BroadcastPipelineCreate, MissingFileIsNamed) {
  BroadcastOptions options;
  options.source = SourceSpec{SourceSpec::Kind::file, "/nonexistent/clip.mp4"};
  EXPECT_EQ(create_error(options), "source file not found: /nonexistent/clip.mp4");
}

TEST(BroadcastPipelineCreate, MissingSecondFileIsNamed) {
  BroadcastOptions options;
  options.source2 = SourceSpec{SourceSpec::Kind::file, "/nonexistent/second.mkv"};
  EXPECT_NE(create_error(options).find("/nonexistent/second.mkv"), std::string::npos);
}

TEST(BroadcastPipelineCreate, MissingV4l2DeviceIsNamed) {
  BroadcastOptions options;
  options.source = SourceSpec{SourceSpec::Kind::v4l2, "/dev/video99"};
  EXPECT_EQ(create_error(options), "v4l2 device not found: /dev/video99");
}

TEST(BroadcastPipelineCreate, FileAudioNeedsAFileSource) {
  BroadcastOptions options;
  options.audio = AudioSource::file;
  EXPECT_NE(create_error(options).find("not a file"), std::string::npos);
}

TEST(BroadcastPipelineCreate, RejectsOddSizes) {
  BroadcastOptions options;
  options.width = 641;
  EXPECT_FALSE(BroadcastPipeline::create(options).ok());
}

TEST(WatchPipelineCreate, RecordingNeedsMp4OrMkv) {
  WatchOptions options;
  options.record_path = "/tmp/out.avi";
  const auto pipeline = WatchPipeline::create(options);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.error().find(".mp4 or .mkv"), std::string::npos);
}

TEST(WatchPipelineCreate, BuildsForRecording) {
  for (const char* path : {"/tmp/out.mp4", "/tmp/out.mkv", ""}) {
    WatchOptions options;
    options.record_path = path;
    const auto pipeline = WatchPipeline::create(options);
    ASSERT_TRUE(pipeline.ok()) << path << ": " << pipeline.error();
    EXPECT_EQ((*pipeline)->stats().frames_decoded, 0u);
    EXPECT_EQ((*pipeline)->stats().transport, "");
  }
}

TEST(WatchPipelineCreate, DisplayWithoutADisplayFailsClearly) {
  ::unsetenv("DISPLAY");
  ::unsetenv("WAYLAND_DISPLAY");
  WatchOptions options;
  options.display = true;
  const auto pipeline = WatchPipeline::create(options);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.error().find("no display"), std::string::npos) << pipeline.error();
}

}  // namespace
}  // namespace callcast::terminal
