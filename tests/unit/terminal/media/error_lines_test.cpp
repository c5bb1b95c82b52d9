// The lines a user reads when a pipeline fails (README's terminal error table), per origin and
// stage, and the RTSP refusals that end a broadcaster's reconnect at once.
#include "terminal/media/error_lines.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

constexpr const char* kUrl = "rtsp://127.0.0.1:8554/groups/13800000001?token=secret";
constexpr const char* kRefused =
    "Could not open resource for reading and writing. (Failed to connect. (Generic error))";

TEST(ErrorLines, WithoutTokenDropsTheQuery) {
  EXPECT_EQ(without_token(kUrl), "rtsp://127.0.0.1:8554/groups/13800000001");
  EXPECT_EQ(without_token("rtsp://h/g"), "rtsp://h/g");
}

TEST(ErrorLines, BroadcastBeforeStreaming) {
  EXPECT_EQ(broadcast_error_line(kRefused, true, "sink", false, "rtsp://h/g"),
            std::string("media connection refused: rtsp://h/g: ") + kRefused);
  EXPECT_EQ(broadcast_error_line("Not found", true, "sink", false, "rtsp://h/g"),
            "media server refused the stream: rtsp://h/g: Not found");
}

TEST(ErrorLines, BroadcastWhileStreamingAndFromOtherElements) {
  EXPECT_EQ(broadcast_error_line(kRefused, true, "sink", true, "rtsp://h/g"),
            std::string("media server: ") + kRefused);
  EXPECT_EQ(broadcast_error_line("Internal data stream error.", false, "src1", false, "u"),
            "broadcast pipeline (src1): Internal data stream error.");
}

TEST(ErrorLines, WatchBeforeAndAfterTheFirstFrame) {
  EXPECT_EQ(watch_error_line(kRefused, true, "source", false, "rtsp://h/g"),
            std::string("media connection refused: rtsp://h/g: ") + kRefused);
  // A refused connection is told as such even after the first frame.
  EXPECT_EQ(watch_error_line(kRefused, true, "source", true, "rtsp://h/g"),
            std::string("media connection refused: rtsp://h/g: ") + kRefused);
  EXPECT_EQ(watch_error_line("Unauthorized (401)", true, "source", false, "rtsp://h/g"),
            "media server refused the play URL rtsp://h/g: Unauthorized (401)");
  EXPECT_EQ(watch_error_line("Could not read.", true, "source", true, "rtsp://h/g"),
            "media server: Could not read.");
  EXPECT_EQ(watch_error_line("No decoder.", false, "avdec_h264-0", true, "u"),
            "watch pipeline (avdec_h264-0): No decoder.");
}

class RtspRefusal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

  static std::optional<std::string> refusal(GQuark domain, gint code, const char* debug) {
    GError* error = g_error_new_literal(domain, code, "error");
    GstMessage* message = gst_message_new_error(nullptr, error, debug);
    g_error_free(error);
    auto status = rtsp_refusal(message);
    gst_message_unref(message);
    return status;
  }
};

TEST_F(RtspRefusal, NotFoundIsAGroupGone) {
  EXPECT_EQ(refusal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, nullptr),
            "404 Not Found: no such group any more");
}

TEST_F(RtspRefusal, UnauthorizedBareOrWithAChallengeIsATokenRefused) {
  const std::string refused = "401 Unauthorized: the publish token is not valid there any more";
  EXPECT_EQ(refusal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED, nullptr), refused);
  EXPECT_EQ(refusal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE,
                    "gstrtspclientsink.c(1): No supported authentication protocol was found"),
            refused);
}

TEST_F(RtspRefusal, ABrokenOrRefusedConnectionIsNotARefusal) {
  EXPECT_FALSE(refusal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE,
                       "Failed to connect. (Generic error)"));
  EXPECT_FALSE(refusal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, nullptr));
  EXPECT_FALSE(refusal(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, nullptr));
}

}  // namespace
}  // namespace callcast::terminal
