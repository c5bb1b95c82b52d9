// The other transports and codecs of the issue, with real peers: a master publishing over UDP
// (mode=record with client_port) with Opus audio (RFC 7587), and a viewer falling back to RTP
// interleaved on its RTSP connection (TCP).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"

namespace callcast::test::transport_variants_test {
namespace {

using namespace std::chrono_literals;

const std::string kMaster = "13800000001";

class TransportVariantsTest : public E2eTest {
 protected:
  TransportVariantsTest() : E2eTest(CALLCASTD_PATH) {}

  // Records `seconds` of the group as `viewer` over `transport` and decodes the recording.
  DecodedMedia watch(const std::string& viewer, const std::string& transport, int seconds) {
    const auto file = dir() / (viewer + ".mkv");
    ChildProcess& recorder = spawn(ffmpeg_recorder(admit_viewer(kMaster, viewer), file, seconds,
                                                   dir(), "viewer-" + viewer, transport));
    const auto status = recorder.wait_for(std::chrono::seconds(seconds + 30));
    EXPECT_TRUE(status && status->success()) << recorder.stderr_tail(3000);
    return decode_file(file, dir());
  }

  nlohmann::json group() { return api().http().get("/v1/groups/" + kMaster).json; }
};

TEST_F(TransportVariantsTest, UdpPublisherWithOpusReachesViewers) {
  const std::string publish_url = create_group(kMaster);
  ChildProcess& publisher = spawn(ffmpeg_publisher_over(publish_url, dir(), "libopus", "udp"));
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail(3000);

  const auto snapshot = group();
  EXPECT_EQ(snapshot["publisher"]["transport"], "udp") << snapshot.dump();
  ASSERT_EQ(snapshot["tracks"].size(), 2U) << snapshot.dump();
  EXPECT_EQ(snapshot["tracks"][1]["codec"], "OPUS") << snapshot.dump();

  const DecodedMedia media = watch("13900000001", "udp", 5);
  EXPECT_TRUE(media.error.empty()) << media.describe();
  EXPECT_GE(media.video_frames, 0.95 * media.published_frames()) << media.describe();
  EXPECT_GT(media.audio_frames, 0) << "no Opus audio decoded: " << media.describe();
  EXPECT_EQ(media.decoder_errors, "");
}

TEST_F(TransportVariantsTest, TcpInterleavedViewerReceivesTheStream) {
  const std::string publish_url = create_group(kMaster);
  ChildProcess& publisher = spawn(ffmpeg_publisher(publish_url, dir()));
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail(3000);

  const DecodedMedia media = watch("13900000002", "tcp", 5);
  EXPECT_TRUE(media.error.empty()) << media.describe();
  EXPECT_GE(media.video_frames, 0.95 * media.published_frames()) << media.describe();
  EXPECT_GT(media.audio_frames, 0) << media.describe();
  EXPECT_EQ(media.decoder_errors, "");
}

}  // namespace
}  // namespace callcast::test::transport_variants_test
