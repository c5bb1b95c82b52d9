// The network side following the media side's events and snapshots (MediaSync), and the
// audience told to the master (709, AudienceReporter), on simulated time.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"
#include "sipwire/audience_info.hpp"

namespace callcast::sip::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST_F(SignalingCoreTest, MasterLostEndsTheBroadcastWithByes) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  media_reports(core::GroupEventKind::master_lost, kMaster, kMaster);
  expect_bye(master, "broadcast ended");
  expect_bye(viewer, "broadcast ended");
  EXPECT_TRUE(media_.closed_groups.empty()) << "the media side closed it itself";
  EXPECT_FALSE(forwarding_of(kMaster));
}

TEST_F(SignalingCoreTest, StalledMasterKeepsItsCall) {
  const auto master = start_live_broadcast(kMaster);
  media_reports(core::GroupEventKind::master_stalled, kMaster, kMaster);
  media_reports(core::GroupEventKind::master_resumed, kMaster, kMaster);
  expect_no_bye(master);
  EXPECT_EQ(core_->stats().broadcasts, 1u);
}

TEST_F(SignalingCoreTest, ResyncEndsBroadcastsTheRestartedMediaSideForgot) {
  const auto master = start_live_broadcast(kMaster);
  core_->on_resync({}, control::ResyncCause::media_restarted);
  expect_bye(master, "the streaming server restarted");
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(SignalingCoreTest, ResyncAnswersAMasterWhoseGroupWentLiveUnseen) {
  const auto master = receive_invite_to_service(kMaster);
  media_reports_group_created();
  control::GroupSnapshot group;
  group.group = kMaster;
  group.master = kMaster;
  group.state = "live";
  core_->on_resync({group}, control::ResyncCause::events_missed);
  expect_final_answer(master, 200);
}

// A broadcast of before a restart of this process: rebuilt from the snapshot, it takes viewers,
// and its viewers of before are removed from the media side when their media stops.
TEST_F(SignalingCoreTest, ResyncRestoresALiveBroadcastOfBeforeARestart) {
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, config_.service_number));
  control::GroupSnapshot group;
  group.group = kMaster;
  group.master = kMaster;
  group.state = "live";
  control::ViewerStats old_viewer;
  old_viewer.viewer = kOther;
  old_viewer.state = "playing";
  group.viewers.push_back(old_viewer);
  core_->on_resync({group}, control::ResyncCause::events_missed);
  EXPECT_EQ(core_->stats().restored_broadcasts, 1u);
  EXPECT_EQ(core_->stats().broadcast_list.at(0).viewers, 1u);

  watch(kViewer, kMaster);
  media_reports(core::GroupEventKind::viewer_left, kMaster, kOther);
  using Removed = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(media_.removed_viewers, (Removed{{kMaster, kOther}}));

  media_reports(core::GroupEventKind::group_closed, kMaster, kMaster);
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(SignalingCoreTest, MasterTakingTheAudiencePackageHearsItsViewersPaced) {
  const auto master = start_live_broadcast(kMaster, /*takes_audience=*/true);
  EXPECT_TRUE(stack_.infos.empty()) << "the terminal starts from 0 viewers";
  media_reports(core::GroupEventKind::viewer_joined, kMaster, kViewer);
  ASSERT_EQ(stack_.infos.size(), 1u);
  EXPECT_EQ(stack_.infos[0].handle, master);
  EXPECT_EQ(stack_.infos[0].package, kAudiencePackage);
  EXPECT_EQ(stack_.infos[0].content_type, kAudienceContentType);
  EXPECT_EQ(stack_.infos[0].body, make_audience_body(1));
  core_->on_info_answered(stack_.bound[master], 200);

  // Within a second of the last INFO: held back, then one INFO with the latest count.
  media_reports(core::GroupEventKind::viewer_joined, kMaster, kOther);
  media_reports(core::GroupEventKind::viewer_joined, kMaster, "13600000004");
  EXPECT_EQ(stack_.infos.size(), 1u);
  time_.advance(999ms);
  EXPECT_EQ(stack_.infos.size(), 1u);
  time_.advance(1ms);
  ASSERT_EQ(stack_.infos.size(), 2u);
  EXPECT_EQ(stack_.infos[1].body, make_audience_body(3));
}

TEST_F(SignalingCoreTest, MasterRefusingTheAudienceInfoHearsNoMore) {
  const auto master = start_live_broadcast(kMaster, /*takes_audience=*/true);
  media_reports(core::GroupEventKind::viewer_joined, kMaster, kViewer);
  ASSERT_EQ(stack_.infos.size(), 1u);
  core_->on_info_answered(stack_.bound[master], 469);
  time_.advance(2s);
  media_reports(core::GroupEventKind::viewer_joined, kMaster, kOther);
  time_.advance(2s);
  EXPECT_EQ(stack_.infos.size(), 1u);
}

TEST_F(SignalingCoreTest, MasterWithoutTheAudiencePackageGetsNoInfo) {
  start_live_broadcast(kMaster);
  media_reports(core::GroupEventKind::viewer_joined, kMaster, kViewer);
  time_.advance(2s);
  EXPECT_TRUE(stack_.infos.empty());
}

}  // namespace
}  // namespace callcast::sip::test
