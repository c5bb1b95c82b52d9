// Issue 13, items 3-4: an answered viewer call never stays up with nothing in it. Its media must
// start within sip.viewer_media_start_timeout_s of the 200 (RTSP PLAY: viewer_joined), and a
// media session the media side ends on its own (silence, a lost connection) ends the call with a
// BYE whose Reason says why; the viewer's own BYE, its TEARDOWN, and its newer calls are left
// alone.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"

namespace callcast::sip::test::call_controller_viewer_media_test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Removed = std::vector<std::pair<std::string, std::string>>;

class ViewerMediaTest : public SignalingCoreTest {
 protected:
  // 714: the viewer's player plays (the media side's viewer_joined).
  void viewer_plays(const std::string& viewer = kViewer) {
    media_reports(core::GroupEventKind::viewer_joined, kMaster, viewer, "");
  }
  void media_side_ends_session(const std::string& reason, const std::string& viewer = kViewer) {
    media_reports(core::GroupEventKind::viewer_left, kMaster, viewer, reason);
  }
  // A viewer watching the live master, its media playing.
  StackHandle watching_viewer() {
    const auto viewer = watch(kViewer, kMaster);
    viewer_plays();
    return viewer;
  }
};

TEST_F(ViewerMediaTest, ViewerTheMediaSideTimedOutGetsAByeSayingWhy) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watching_viewer();
  media_side_ends_session("timeout");
  expect_bye(viewer, "SIP;cause=408;text=\"no media reports from the terminal");
  EXPECT_EQ(media_.removed_viewers, (Removed{{kMaster, kViewer}})) << "its admission goes too";
  expect_no_bye(master);
  EXPECT_EQ(core_->stats().broadcasts, 1u);
}

TEST_F(ViewerMediaTest, ViewerWhoseMediaConnectionClosedGetsAByeSayingWhy) {
  start_live_broadcast(kMaster);
  const auto viewer = watching_viewer();
  media_side_ends_session("connection closed: connection reset by peer");
  expect_bye(viewer, "the terminal's connection to the streaming server closed");
}

// The viewer's own TEARDOWN (its BYE follows), our own removal, its player setting up again, a
// group closing (group_closed ends the calls with the broadcast's Reason), and words the network
// side does not know: no BYE for those.
TEST_F(ViewerMediaTest, MediaEndsTheMediaSideDidNotDecideKeepTheCall) {
  start_live_broadcast(kMaster);
  const auto viewer = watching_viewer();
  for (const char* reason :
       {"teardown", "removed", "replaced by a new session", "master lost", "deleted", "test"}) {
    media_side_ends_session(reason);
    viewer_plays();
  }
  expect_no_bye(viewer);
  EXPECT_TRUE(media_.removed_viewers.empty());
}

TEST_F(ViewerMediaTest, ViewerEndedByItsOwnByeGetsNoByeWhenItsSessionEnds) {
  start_live_broadcast(kMaster);
  const auto viewer = watching_viewer();
  receive_bye(viewer);
  media_side_ends_session("removed");
  media_side_ends_session("timeout");  // late: the session had already gone silent
  expect_no_bye(viewer);
  EXPECT_EQ(media_.removed_viewers, (Removed{{kMaster, kViewer}})) << "removed once, by the BYE";
}

// The viewer's terminal died and it called again: its old session times out while the new
// call waits for its player. Only the old call is ended; the new one keeps its admission.
TEST_F(ViewerMediaTest, TimeoutOfAnOldSessionDoesNotEndTheViewersNewerCall) {
  start_live_broadcast(kMaster);
  const auto old_call = watching_viewer();
  const auto new_call = watch(kViewer, kMaster);
  media_side_ends_session("timeout");
  expect_bye(old_call, "cause=408");
  expect_no_bye(new_call);
  EXPECT_TRUE(media_.removed_viewers.empty()) << "the new call holds the admission";

  viewer_plays();
  time_.advance(config_.viewer_media_start_timeout * 2);
  expect_no_bye(new_call);
}

TEST_F(ViewerMediaTest, ViewerWhoseMediaNeverStartsGetsAByeAndLosesItsAdmission) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  time_.advance(config_.viewer_media_start_timeout - 1ms);
  expect_no_bye(viewer);
  EXPECT_TRUE(media_.removed_viewers.empty());

  time_.advance(1ms);
  expect_bye(viewer, "SIP;cause=408;text=\"the media did not start within 15 s\"");
  EXPECT_EQ(media_.removed_viewers, (Removed{{kMaster, kViewer}}));
  expect_no_bye(master);
  // Ended once: the stack's end of the dialog follows, nothing more is sent.
  time_.advance(config_.viewer_media_start_timeout * 2);
  EXPECT_EQ(stack_.byes[viewer].size(), 1u);
  receive_bye(viewer);  // the dialog's end reported by the stack
  EXPECT_EQ(media_.removed_viewers.size(), 1u);
  EXPECT_EQ(core_->stats().viewer_calls, 0u);
}

TEST_F(ViewerMediaTest, MediaStartTimeoutIsConfigurable) {
  config_.viewer_media_start_timeout = 4s;
  make_core();
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  time_.advance(4s);
  expect_bye(viewer, "the media did not start within 4 s");
}

TEST_F(ViewerMediaTest, ViewerThatStartsPlayingKeepsItsCall) {
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  time_.advance(config_.viewer_media_start_timeout - 1s);
  viewer_plays();
  time_.advance(config_.viewer_media_start_timeout * 3);
  expect_no_bye(viewer);
  EXPECT_TRUE(media_.removed_viewers.empty());
}

// Another viewer playing does not count for this one.
TEST_F(ViewerMediaTest, AnotherViewerPlayingDoesNotStartThisViewersMedia) {
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  const auto other = watch(kOther, kMaster);
  viewer_plays(kOther);
  time_.advance(config_.viewer_media_start_timeout);
  expect_bye(viewer, "did not start");
  expect_no_bye(other);
}

TEST_F(ViewerMediaTest, ViewerThatHangsUpBeforeTheTimeoutIsNotSentABye) {
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  receive_bye(viewer);
  time_.advance(config_.viewer_media_start_timeout * 2);
  expect_no_bye(viewer);
}

// A viewer_joined missed while the event feed was down: the media side's snapshot shows the
// viewer playing, so its call is not ended for a media that did start.
TEST_F(ViewerMediaTest, ViewerShownPlayingInAResyncKeepsItsCall) {
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  control::GroupSnapshot group;
  group.group = kMaster;
  group.master = kMaster;
  group.state = "live";
  control::ViewerStats playing;
  playing.viewer = kViewer;
  playing.state = "playing";
  group.viewers.push_back(playing);
  core_->on_resync({group}, control::ResyncCause::events_missed);
  time_.advance(config_.viewer_media_start_timeout * 2);
  expect_no_bye(viewer);
}

TEST_F(ViewerMediaTest, BroadcastEndingBeforeTheTimeoutSendsOneByeWithItsOwnReason) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  receive_bye(master);
  time_.advance(config_.viewer_media_start_timeout * 2);
  expect_bye(viewer, "broadcast ended");
}

}  // namespace
}  // namespace callcast::sip::test::call_controller_viewer_media_test
