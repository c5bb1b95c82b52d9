// The broadcast pipeline's text and element list for each option: what gst_parse_launch gets
// and what is checked to be installed before it.
#include "terminal/media/broadcast_description.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace callcast::terminal {
namespace {

bool names(const BroadcastDescription& d, const std::string& element) {
  return std::find(d.elements.begin(), d.elements.end(), element) != d.elements.end();
}

bool has(const BroadcastDescription& d, const std::string& text) {
  return d.text.find(text) != std::string::npos;
}

TEST(BroadcastDescription, TestPatternWithAacIsOneSourceEncodedAndSentOverTcp) {
  BroadcastOptions options;
  options.width = 640;
  options.height = 360;
  options.fps = 25;
  options.bitrate_kbps = 800;
  options.keyframe_interval_s = 2;
  const auto d = BroadcastDescription::of(options, "avenc_aac");
  EXPECT_TRUE(d.text.starts_with("rtspclientsink name=sink protocols=tcp latency=0 ")) << d.text;
  EXPECT_TRUE(has(d, "videotestsrc name=src1 is-live=true pattern=smpte")) << d.text;
  EXPECT_TRUE(has(d, "video/x-raw,format=I420,width=640,height=360,framerate=25/1")) << d.text;
  EXPECT_TRUE(has(d,
                  "x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate=800 "
                  "key-int-max=50"))
      << d.text;
  EXPECT_TRUE(has(d, "h264parse name=vparse config-interval=-1 ! sink.")) << d.text;
  EXPECT_TRUE(has(d, "clockoverlay")) << d.text;
  EXPECT_TRUE(has(d, "avenc_aac bitrate=128000 ! aacparse name=aparse ! sink.")) << d.text;
  EXPECT_FALSE(has(d, "input-selector")) << d.text;
  for (const char* element :
       {"videotestsrc", "clockoverlay", "x264enc", "h264parse", "rtspclientsink", "audiotestsrc",
        "avenc_aac", "aacparse", "rtpmp4gpay"}) {
    EXPECT_TRUE(names(d, element)) << element;
  }
}

TEST(BroadcastDescription, TwoSourcesGoThroughASelectorWithDifferentPatterns) {
  BroadcastOptions options;
  options.source2 = SourceSpec{SourceSpec::Kind::test, ""};
  options.clock_overlay = false;
  const auto d = BroadcastDescription::of(options, "voaacenc");
  EXPECT_TRUE(has(d, "input-selector name=selector ! x264enc")) << d.text;
  EXPECT_TRUE(has(d, "pattern=smpte")) << d.text;
  EXPECT_TRUE(has(d, "pattern=ball")) << d.text;
  EXPECT_TRUE(has(d, "queue name=vqueue1 ! selector.sink_0")) << d.text;
  EXPECT_TRUE(has(d, "queue name=vqueue2 ! selector.sink_1")) << d.text;
  EXPECT_FALSE(has(d, "clockoverlay")) << d.text;
  EXPECT_TRUE(names(d, "input-selector"));
  EXPECT_FALSE(names(d, "clockoverlay"));
}

TEST(BroadcastDescription, AFileIsPacedAndCanGiveItsSound) {
  BroadcastOptions options;
  options.source = SourceSpec{SourceSpec::Kind::file, "/tmp/clip.mp4"};
  options.audio = AudioSource::file;
  const auto d = BroadcastDescription::of(options, "avenc_aac");
  EXPECT_TRUE(has(d, "filesrc name=src1 ! decodebin name=dec1  dec1. ! video/x-raw ! clocksync"))
      << d.text;
  EXPECT_TRUE(has(d, "dec1. ! audio/x-raw ! clocksync ! queue ! audioconvert")) << d.text;
  // The location is set on src1 after parsing: no path in the text to quote.
  EXPECT_FALSE(has(d, "/tmp/clip.mp4")) << d.text;
  for (const char* element : {"filesrc", "decodebin", "clocksync"}) {
    EXPECT_TRUE(names(d, element)) << element;
  }
  EXPECT_FALSE(names(d, "audiotestsrc"));
}

TEST(BroadcastDescription, OpusAndNoAudio) {
  BroadcastOptions options;
  options.audio_codec = AudioCodec::opus;
  options.source = SourceSpec{SourceSpec::Kind::v4l2, "/dev/video0"};
  options.audio = AudioSource::alsa;
  auto d = BroadcastDescription::of(options, "avenc_aac");
  EXPECT_TRUE(has(d, "v4l2src name=src1 ! videoconvert")) << d.text;
  EXPECT_TRUE(has(d, "alsasrc name=asrc")) << d.text;
  EXPECT_TRUE(has(d, "opusenc name=aparse bitrate=64000 ! sink.")) << d.text;
  EXPECT_FALSE(names(d, "rtpmp4gpay"));
  EXPECT_FALSE(has(d, "clockoverlay")) << d.text;  // only on test patterns

  options.audio = AudioSource::none;
  d = BroadcastDescription::of(options, "avenc_aac");
  EXPECT_FALSE(has(d, "aparse")) << d.text;
  EXPECT_FALSE(names(d, "audioconvert"));
}

TEST(BroadcastDescription, AKeyframeIntervalIsAtLeastOneFrame) {
  BroadcastOptions options;
  options.fps = 1;
  options.keyframe_interval_s = 0;
  EXPECT_TRUE(has(BroadcastDescription::of(options, "avenc_aac"), "key-int-max=1 "));
}

}  // namespace
}  // namespace callcast::terminal
