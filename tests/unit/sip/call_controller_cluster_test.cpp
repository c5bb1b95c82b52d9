// Issue 15: a broadcast whose master's dialog is on another signaling node of the cluster (the
// node Kamailio hashed its number to died, so its viewers now reach this one). The media side
// still holds the group: this node adopts it, admits viewers as the owner would (711-712), and
// ends their calls when the media side reports the broadcast's end.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"

namespace callcast::sip::test {
namespace cluster_adoption {

using ::testing::HasSubstr;

// The group of kMaster live on the media side, with one viewer that joined through its owner.
control::GroupSnapshot live_group_held_elsewhere(const std::string& state = "live") {
  control::GroupSnapshot group;
  group.group = kMaster;
  group.master = kMaster;
  group.state = state;
  control::ViewerStats old_viewer;
  old_viewer.viewer = kOther;
  old_viewer.state = "playing";
  group.viewers.push_back(old_viewer);
  return group;
}

class ClusterAdoptionTest : public SignalingCoreTest {
 protected:
  // What the master's owner did at 708: its number forwards to the service.
  void master_forwards_to_the_service() {
    ASSERT_TRUE(forwarding_->set_unconditional(kMaster, config_.service_number));
  }
};

TEST_F(ClusterAdoptionTest, ViewerOfABroadcastHeldByAnotherNodeIsAdmittedAsByItsOwner) {
  master_forwards_to_the_service();
  media_.groups.push_back(live_group_held_elsewhere());
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_EQ(media_.group_lookups, 1);
  EXPECT_EQ(last_answer(viewer).status, 181);
  ASSERT_EQ(media_.admits.size(), 1u);
  EXPECT_EQ(media_.admits.front().group, kMaster);
  EXPECT_EQ(media_.admits.front().viewer, kViewer);
  media_admits_viewer();
  expect_final_answer(viewer, 200);

  const auto stats = core_->stats();
  EXPECT_EQ(stats.broadcasts, 1u);
  EXPECT_EQ(stats.restored_broadcasts, 1u);
  ASSERT_EQ(stats.broadcast_list.size(), 1u);
  EXPECT_EQ(stats.broadcast_list[0].state, "live");
  EXPECT_EQ(stats.broadcast_list[0].viewers, 1u) << "the owner's viewer, from the snapshot";

  // A second viewer finds the adopted broadcast here: no second lookup.
  watch(kOther, kMaster);
  EXPECT_EQ(media_.group_lookups, 1);
}

TEST_F(ClusterAdoptionTest, EndOfAnAdoptedBroadcastEndsItsViewersAndItsForwarding) {
  master_forwards_to_the_service();
  media_.groups.push_back(live_group_held_elsewhere());
  const auto viewer = watch(kViewer, kMaster);
  media_reports(core::GroupEventKind::master_lost, kMaster, kMaster, "publisher gone");
  expect_bye(viewer, "broadcast ended");
  EXPECT_EQ(core_->stats().broadcasts, 0u);
  EXPECT_EQ(forwarding_of(kMaster), std::nullopt) << "its owner, gone, could not clear it";
  // The viewers admitted through the owner have no dialog here: they go with the group.
  EXPECT_THAT(media_.closed_groups, ::testing::Contains(kMaster));
}

TEST_F(ClusterAdoptionTest, ViewerOfAGroupTheMediaSideDoesNotHoldIsTemporarilyUnavailable) {
  master_forwards_to_the_service();
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_EQ(media_.group_lookups, 1);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning, HasSubstr("is not broadcasting"));
  EXPECT_EQ(stack_.answers[viewer].size(), 1u) << "no 181 when there is nothing to forward to";
  EXPECT_TRUE(media_.admits.empty());
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(ClusterAdoptionTest, GroupStillWaitingForItsMasterIsNotAdopted) {
  master_forwards_to_the_service();
  media_.groups.push_back(live_group_held_elsewhere("waiting_for_master"));
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning, HasSubstr("is not broadcasting"));
  EXPECT_TRUE(media_.admits.empty());
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(ClusterAdoptionTest, MediaSideUnreachableForTheLookupIsServiceUnavailable) {
  master_forwards_to_the_service();
  media_.get_group_error =
      control::ControlError{control::ControlErrorCode::unavailable, "connection refused"};
  const auto viewer = receive_invite_to(kMaster, kViewer);
  const auto answer = expect_final_answer(viewer, 503);
  EXPECT_THAT(answer.warning, HasSubstr("connection refused"));
  EXPECT_GT(answer.retry_after_s, 0);
}

TEST_F(ClusterAdoptionTest, ViewerThatHungUpDuringTheLookupIsNotAdmitted) {
  master_forwards_to_the_service();
  media_.groups.push_back(live_group_held_elsewhere());
  // The lookup's answer comes back later, as the real media control's does.
  control::Done<control::GroupSnapshot> pending;
  media_.get_group_hook = [&](control::Done<control::GroupSnapshot> done) {
    pending = std::move(done);
  };
  const auto viewer = receive_invite_to(kMaster, kViewer);
  ASSERT_TRUE(pending);
  receive_cancel(viewer);
  pending(media_.groups.front());
  EXPECT_TRUE(media_.admits.empty());
}

// This node stops: its own viewers' calls end, the adopted group stays on the media side for
// the cluster (another node takes it up at its next viewer).
TEST_F(ClusterAdoptionTest, StoppingNodeLeavesAnAdoptedGroupToTheCluster) {
  master_forwards_to_the_service();
  media_.groups.push_back(live_group_held_elsewhere());
  const auto viewer = watch(kViewer, kMaster);
  core_->stop("shutting down");
  expect_bye(viewer, "");
  EXPECT_THAT(media_.closed_groups, ::testing::Not(::testing::Contains(kMaster)));
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number) << "its viewers still find it";
}

// A node (re)started while another node's broadcast lives finds it at its resync with the media
// side. In a cluster, its graceful stop must not end that broadcast: the group, its forwarding
// and its viewers' admissions stay, and another node takes it up at its next viewer. (A rolling
// restart of the signaling nodes once closed every broadcast of the cluster.)
TEST_F(ClusterAdoptionTest, StoppingNodeLeavesAGroupFoundAtItsResyncToTheCluster) {
  cluster_node_ = true;
  make_core();
  master_forwards_to_the_service();
  core_->on_resync({live_group_held_elsewhere()}, control::ResyncCause::events_missed);
  ASSERT_EQ(core_->stats().restored_broadcasts, 1u);
  const auto viewer = watch(kViewer, kMaster);
  core_->stop("shutting down");
  expect_bye(viewer, "");
  EXPECT_THAT(media_.closed_groups, ::testing::Not(::testing::Contains(kMaster)));
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number) << "its viewers still find it";
}

// Alone (no cluster), a group found at a resync is this process's own broadcast of before its
// restart: its graceful stop closes it, as before.
TEST_F(ClusterAdoptionTest, StoppingLoneNodeClosesAGroupFoundAtItsResync) {
  master_forwards_to_the_service();
  core_->on_resync({live_group_held_elsewhere()}, control::ResyncCause::events_missed);
  ASSERT_EQ(core_->stats().restored_broadcasts, 1u);
  core_->stop("shutting down");
  EXPECT_THAT(media_.closed_groups, ::testing::Contains(kMaster));
  EXPECT_NE(forwarding_of(kMaster), config_.service_number);
}

// A node that held no broadcast of the number hears its end: a rule still pointing at the
// service number goes (its owner may be dead), one the user set elsewhere stays.
TEST_F(ClusterAdoptionTest, EndOfAGroupHeldNowhereHereClearsOnlyTheServiceForwarding) {
  master_forwards_to_the_service();
  ASSERT_TRUE(forwarding_->set_unconditional(kOther, kViewer));
  media_reports(core::GroupEventKind::group_closed, kMaster, kMaster, "teardown");
  media_reports(core::GroupEventKind::group_closed, kOther, kOther, "teardown");
  EXPECT_EQ(forwarding_of(kMaster), std::nullopt);
  EXPECT_EQ(forwarding_of(kOther), kViewer);
}

// An edge node's copy of a group closing (its last viewer left, or its origin went) is not the
// broadcast's end.
TEST_F(ClusterAdoptionTest, EdgeCopyClosingLeavesTheBroadcastAndItsViewers) {
  start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  media_reports(core::GroupEventKind::group_closed, kMaster, kMaster, "edge_closed");
  media_reports(core::GroupEventKind::group_closed, kMaster, kMaster, "origin_lost");
  expect_no_bye(viewer);
  EXPECT_EQ(core_->stats().broadcasts, 1u);
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number);
}

}  // namespace cluster_adoption
}  // namespace callcast::sip::test
