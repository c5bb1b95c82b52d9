// A standard publisher as it comes (issue 10, item 6): GStreamer's rtspclientsink in its default
// configuration publishes H.264 and AAC (payloaded as MP4A-LATM, RFC 6416) or Opus over RTSP/TCP
// (step 705); viewers get both tracks described exactly as announced and decode them (709, 714);
// and when the publisher is stopped (SIGINT, EOS, then PAUSE and TEARDOWN on the wire) it ends
// within a bounded time, every answer it got being a success.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

const std::string kMaster = "13800000001";
const std::string kViewer = "13900000001";

struct Variant {
  std::string audio_encoder;  // the GStreamer element
  std::string encoding;       // what rtspclientsink's default payloader announces
  std::string ffmpeg_codec;   // what a viewer's ffmpeg decodes
};

class StandardPublisherTest : public E2eTest {
 protected:
  StandardPublisherTest() : E2eTest(CALLCASTD_PATH) {}

  ServerOptions server_options() const override {
    ServerOptions options;
    options.log_level = "info";
    return options;
  }

  void publish_watch_and_stop(const Variant& variant);
};

void StandardPublisherTest::publish_watch_and_stop(const Variant& variant) {
  const std::string publish_url = create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, kViewer);
  ASSERT_FALSE(HasFailure());

  ChildProcess& publisher =
      spawn(gst_rtspclientsink_publisher(publish_url, variant.audio_encoder, dir()));
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s))
      << "rtspclientsink " << (publisher.running() ? "running" : "ended") << ":\n"
      << publisher.stderr_tail(3000);
  const auto snapshot = api().group(kMaster);
  ASSERT_TRUE(snapshot);
  const auto audio = find_track(*snapshot, "audio");
  ASSERT_TRUE(audio.is_object()) << snapshot->dump(2);
  EXPECT_EQ(audio.value("codec", ""), variant.encoding) << snapshot->dump(2);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto s = api().group(kMaster);
        return s && find_track(*s, "audio").value("packets", 0) > 20;
      },
      10s))
      << "the audio track relays packets";

  // A viewer's DESCRIBE shows the audio exactly as announced (rtpmap and fmtp copied).
  RtspTestClient viewer;
  ASSERT_TRUE(viewer.connect_to(play_url)) << viewer.error();
  const auto described = viewer.describe(play_url);
  ASSERT_TRUE(described);
  ASSERT_EQ(described->status, 200);
  EXPECT_NE(described->body.find(" " + variant.encoding + "/"), std::string::npos)
      << described->body;
  if (variant.encoding == "MP4A-LATM") {
    EXPECT_NE(described->body.find("cpresent=0;config="), std::string::npos) << described->body;
  }
  viewer.disconnect();

  // ffmpeg plays both tracks over UDP and decodes them.
  const auto recording = dir() / "viewer.mkv";
  ChildProcess& recorder = spawn(ffmpeg_recorder(play_url, recording, 4, dir(), "viewer"));
  const auto recorded = recorder.wait_for(30s);
  ASSERT_TRUE(recorded && recorded->success())
      << (recorded ? recorded->describe() : "still running") << "\n"
      << recorder.stderr_tail(3000);
  const auto codecs = stream_codecs(recording, dir());
  EXPECT_NE(std::find(codecs.begin(), codecs.end(), "h264"), codecs.end());
  EXPECT_NE(std::find(codecs.begin(), codecs.end(), variant.ffmpeg_codec), codecs.end())
      << "codecs: " << ::testing::PrintToString(codecs);
  const DecodedMedia decoded = decode_file(recording, dir());
  EXPECT_GT(decoded.video_frames, 50) << decoded.describe();
  EXPECT_GT(decoded.audio_frames, 50) << decoded.describe();

  // Stop as a user does: SIGINT, gst-launch sends EOS, rtspclientsink sends PAUSE and TEARDOWN.
  ASSERT_TRUE(publisher.send_signal(SIGINT));
  const auto stopped = publisher.wait_for(15s);
  ASSERT_TRUE(stopped) << "rtspclientsink did not stop within 15 s of SIGINT:\n"
                       << publisher.stderr_tail(3000);
  EXPECT_TRUE(stopped->success()) << stopped->describe() << "\n" << publisher.stderr_tail(3000);
  // The master's TEARDOWN ends the broadcast at once (no grace period), and nothing it sent was
  // refused: the server logs every refused request as "-> <status>".
  EXPECT_TRUE(server().wait_for_log("event=group_closed", 5s)) << server().log_tail(4000);
  const std::string log = server().log_tail(200000);
  EXPECT_EQ(log.find("-> 455"), std::string::npos) << log;
  EXPECT_EQ(log.find("-> 415"), std::string::npos) << log;
  EXPECT_NE(log.find("master paused its media"), std::string::npos) << log;
}

// GStreamer's default AAC payload (the 415 of the issue).
TEST_F(StandardPublisherTest, RtspClientSinkWithAacAsMp4aLatmPublishesAndStopsCleanly) {
  publish_watch_and_stop({"avenc_aac", "MP4A-LATM", "aac"});
}

// Opus over TCP (the publisher that once hung for 10 minutes on stop).
TEST_F(StandardPublisherTest, RtspClientSinkWithOpusPublishesAndStopsCleanly) {
  publish_watch_and_stop({"opusenc", "OPUS", "opus"});
}

}  // namespace
}  // namespace callcast::test
