// The media side's viewer_left reasons as the network side reads them (issue 13): which end a
// call with a BYE, and the Reason (RFC 3326) that BYE carries.
#include "sip/viewer_media_end.hpp"

#include <gtest/gtest.h>

namespace callcast::sip::viewer_media_end_test {
namespace {

TEST(ViewerMediaEndTest, ReadsTheMediaSidesReasons) {
  EXPECT_EQ(classify_viewer_media_end("timeout"), ViewerMediaEnd::silent);
  EXPECT_EQ(classify_viewer_media_end("connection closed: reset by peer"),
            ViewerMediaEnd::connection_lost);
  EXPECT_EQ(classify_viewer_media_end("admission expired"), ViewerMediaEnd::admission_expired);
  EXPECT_EQ(classify_viewer_media_end("replaced by a new call"), ViewerMediaEnd::replaced_by_call);
  EXPECT_EQ(classify_viewer_media_end("replaced by a new session"),
            ViewerMediaEnd::replaced_by_player);
  EXPECT_EQ(classify_viewer_media_end("teardown"), ViewerMediaEnd::torn_down);
  EXPECT_EQ(classify_viewer_media_end("removed"), ViewerMediaEnd::removed);
  // WebRtcSessions' words: a browser's close_notify, a browser that stopped its ICE checks.
  EXPECT_EQ(classify_viewer_media_end("the browser closed the connection"),
            ViewerMediaEnd::browser_closed);
  EXPECT_EQ(classify_viewer_media_end("ICE consent expired (no connectivity check for 30 s)"),
            ViewerMediaEnd::consent_expired);
  for (const char* closing : {"master lost", "master teardown", "deleted", "", "Timeout"})
    EXPECT_EQ(classify_viewer_media_end(closing), ViewerMediaEnd::other) << closing;
}

TEST(ViewerMediaEndTest, OnlyEndsTheMediaSideDecidedOnItsOwnEndTheCall) {
  for (auto end : {ViewerMediaEnd::silent, ViewerMediaEnd::connection_lost,
                   ViewerMediaEnd::admission_expired, ViewerMediaEnd::replaced_by_call,
                   ViewerMediaEnd::browser_closed, ViewerMediaEnd::consent_expired}) {
    const std::string reason = viewer_media_end_bye_reason(end);
    EXPECT_EQ(reason.rfind("SIP;cause=", 0), 0u) << reason;
    EXPECT_NE(reason.find(";text=\""), std::string::npos) << reason;
    EXPECT_EQ(reason.back(), '"') << reason;
  }
  for (auto end : {ViewerMediaEnd::removed, ViewerMediaEnd::torn_down,
                   ViewerMediaEnd::replaced_by_player, ViewerMediaEnd::other}) {
    EXPECT_EQ(viewer_media_end_bye_reason(end), "");
  }
}

TEST(ViewerMediaEndTest, MediaStartTimeoutSaysHowLongItWaited) {
  EXPECT_EQ(media_start_timeout_bye_reason(15),
            "SIP;cause=408;text=\"the media did not start within 15 s\"");
}

}  // namespace
}  // namespace callcast::sip::viewer_media_end_test
