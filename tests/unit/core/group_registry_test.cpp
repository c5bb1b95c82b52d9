#include "core/group_registry.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace callcast::core {
namespace {

using Events = std::vector<std::string>;

// Records each event as "kind group terminal reason" so a failing sequence prints readably.
class RecordingSink : public GroupEventSink {
 public:
  void on_group_event(const GroupEvent& event) override {
    events.push_back(std::string(to_string(event.kind)) + " " + event.group + " " + event.terminal +
                     " " + event.reason);
    if (on_event) on_event(event);
  }
  Events take() { return std::exchange(events, {}); }

  Events events;
  std::function<void(const GroupEvent&)> on_event;
};

class GroupRegistryTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kNow = 1'700'000'000;

  explicit GroupRegistryTest(RegistryLimits limits = {}) : registry_(limits, sink_) {}

  const Group& create_group(std::string_view master) {
    auto group = registry_.create_group(master, kNow);
    EXPECT_TRUE(group.ok());
    return **group;
  }
  void admit(std::string_view group, std::string_view viewer) {
    EXPECT_TRUE(registry_.admit_viewer(group, viewer).ok());
  }
  void start_playing(std::string_view group, std::string_view viewer) {
    admit(group, viewer);
    EXPECT_TRUE(registry_.viewer_playing(group, viewer).ok());
  }
  void connect_master(std::string_view group) {
    EXPECT_TRUE(registry_.publisher_joined(group, group).ok());
  }

  RecordingSink sink_;
  GroupRegistry registry_;
};

class SmallRegistryTest : public GroupRegistryTest {
 protected:
  SmallRegistryTest() : GroupRegistryTest(RegistryLimits{2, 2}) {}
};

TEST(TerminalNumberTest, AcceptsOneToThirtyTwoAllowedCharacters) {
  EXPECT_TRUE(is_valid_number("1"));
  EXPECT_TRUE(is_valid_number("+86.138_0013-8000"));
  EXPECT_TRUE(is_valid_number("AbcXyz09"));
  EXPECT_TRUE(is_valid_number(std::string(32, '9')));
}

TEST(TerminalNumberTest, RejectsEmptyTooLongAndOtherCharacters) {
  EXPECT_FALSE(is_valid_number(""));
  EXPECT_FALSE(is_valid_number(std::string(33, '9')));
  for (std::string_view bad : {"1 2", "1|2", "1/2", "1@2", "1:2", "1\n", "é"}) {
    EXPECT_FALSE(is_valid_number(bad)) << bad;
  }
}

TEST_F(GroupRegistryTest, CreateGroupStartsWaitingForItsMaster) {
  const Group& group = create_group("100");
  EXPECT_EQ(group.id, "100");
  EXPECT_EQ(group.state, GroupState::waiting_for_master);
  EXPECT_TRUE(group.publisher.empty());
  EXPECT_TRUE(group.viewers.empty());
  EXPECT_EQ(group.created_unix, kNow);
  EXPECT_EQ(registry_.find("100"), &group);
  EXPECT_EQ(registry_.size(), 1u);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, CreateGroupRejectsInvalidMasterNumber) {
  for (std::string_view bad : {"", "a b", "a|b", "123456789012345678901234567890123"}) {
    auto result = registry_.create_group(bad, kNow);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error(), RegistryError::invalid_number);
  }
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(GroupRegistryTest, CreateGroupFailsWhenTheMasterHasAGroupInAnyState) {
  create_group("100");
  auto waiting = registry_.create_group("100", kNow);
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.error(), RegistryError::group_exists);

  connect_master("100");
  auto live = registry_.create_group("100", kNow);
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.error(), RegistryError::group_exists);
}

TEST_F(SmallRegistryTest, CreateGroupFailsAtMaxGroupsUntilOneCloses) {
  create_group("100");
  create_group("101");
  auto third = registry_.create_group("102", kNow);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error(), RegistryError::too_many_groups);

  ASSERT_TRUE(registry_.close_group("100", "deleted").ok());
  EXPECT_TRUE(registry_.create_group("102", kNow).ok());
}

TEST_F(GroupRegistryTest, AdmitViewerAddsAnAdmissionThatIsNotYetPlaying) {
  create_group("100");
  auto group = registry_.admit_viewer("100", "200");
  ASSERT_TRUE(group.ok());
  ASSERT_EQ((*group)->viewers.count("200"), 1u);
  EXPECT_FALSE((*group)->viewers.at("200").playing);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, AdmitViewerFailsForUnknownGroup) {
  auto result = registry_.admit_viewer("100", "200");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::no_such_group);
}

TEST_F(GroupRegistryTest, AdmitViewerRejectsInvalidViewerNumber) {
  create_group("100");
  auto result = registry_.admit_viewer("100", "2 00");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::invalid_number);
}

TEST_F(GroupRegistryTest, MasterMayBeAdmittedToItsOwnGroup) {
  create_group("100");
  EXPECT_TRUE(registry_.admit_viewer("100", "100").ok());
}

TEST_F(SmallRegistryTest, AdmitViewerFailsWhenGroupIsFull) {
  create_group("100");
  admit("100", "200");
  admit("100", "201");
  auto third = registry_.admit_viewer("100", "202");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error(), RegistryError::group_full);
  EXPECT_EQ(registry_.find("100")->viewers.size(), 2u);
}

TEST_F(SmallRegistryTest, ReadmittingAViewerSucceedsAndDoesNotCountTwice) {
  create_group("100");
  admit("100", "200");
  ASSERT_TRUE(registry_.viewer_playing("100", "200").ok());
  admit("100", "200");
  EXPECT_TRUE(registry_.find("100")->viewers.at("200").playing) << "re-admission changes nothing";
  admit("100", "201");
  EXPECT_EQ(registry_.find("100")->viewers.size(), 2u);
  EXPECT_TRUE(registry_.admit_viewer("100", "201").ok()) << "still OK at the limit";
}

TEST_F(GroupRegistryTest, PublisherJoinedEmitsMasterJoinedAndGoesLive) {
  create_group("100");
  auto group = registry_.publisher_joined("100", "100");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)->state, GroupState::live);
  EXPECT_EQ((*group)->publisher, "100");
  EXPECT_EQ(sink_.take(), (Events{"master_joined 100 100 "}));
}

TEST_F(GroupRegistryTest, PublisherJoinedRejectsATerminalThatIsNotTheMaster) {
  create_group("100");
  auto result = registry_.publisher_joined("100", "200");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::not_the_master);
  EXPECT_EQ(registry_.find("100")->state, GroupState::waiting_for_master);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, PublisherJoinedFailsWhileAPublisherIsConnected) {
  create_group("100");
  connect_master("100");
  sink_.take();
  auto second = registry_.publisher_joined("100", "100");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), RegistryError::publisher_present);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, PublisherLeftReturnsToWaitingWithoutEvent) {
  create_group("100");
  connect_master("100");
  sink_.take();
  auto group = registry_.publisher_left("100");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)->state, GroupState::waiting_for_master);
  EXPECT_TRUE((*group)->publisher.empty());
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, MasterMayReconnectAfterPublisherLeft) {
  create_group("100");
  connect_master("100");
  ASSERT_TRUE(registry_.publisher_left("100").ok());
  connect_master("100");
  EXPECT_EQ(registry_.find("100")->state, GroupState::live);
  EXPECT_EQ(sink_.take(), (Events{"master_joined 100 100 ", "master_joined 100 100 "}));
}

TEST_F(GroupRegistryTest, StalledMasterGoesStalledWithEventAndBackToLiveOnResume) {
  create_group("100");
  connect_master("100");
  sink_.take();
  auto stalled = registry_.publisher_stalled("100", "no media for 2000 ms");
  ASSERT_TRUE(stalled.ok());
  EXPECT_EQ((*stalled)->state, GroupState::stalled);
  EXPECT_EQ((*stalled)->publisher, "100") << "a stalled master is still the group's publisher";
  auto resumed = registry_.publisher_resumed("100", "after 3000 ms");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ((*resumed)->state, GroupState::live);
  EXPECT_EQ(sink_.take(), (Events{"master_stalled 100 100 no media for 2000 ms",
                                  "master_resumed 100 100 after 3000 ms"}));
}

TEST_F(GroupRegistryTest, StallAndResumeOutOfTurnChangeNothingAndEmitNothing) {
  create_group("100");
  // Waiting for its master: nothing can stall.
  ASSERT_TRUE(registry_.publisher_stalled("100", "x").ok());
  EXPECT_EQ(registry_.find("100")->state, GroupState::waiting_for_master);
  connect_master("100");
  sink_.take();
  // Live: a resume without a stall is no event.
  ASSERT_TRUE(registry_.publisher_resumed("100", "x").ok());
  EXPECT_EQ(registry_.find("100")->state, GroupState::live);
  // Stalled twice: one event.
  ASSERT_TRUE(registry_.publisher_stalled("100", "x").ok());
  ASSERT_TRUE(registry_.publisher_stalled("100", "x").ok());
  EXPECT_EQ(sink_.take(), (Events{"master_stalled 100 100 x"}));
}

TEST_F(GroupRegistryTest, StalledMasterWhoseConnectionGoesIsWaitingAgain) {
  create_group("100");
  connect_master("100");
  ASSERT_TRUE(registry_.publisher_stalled("100", "x").ok());
  ASSERT_TRUE(registry_.publisher_left("100").ok());
  EXPECT_EQ(registry_.find("100")->state, GroupState::waiting_for_master);
  // Its reconnection is a join, not a resume.
  sink_.take();
  connect_master("100");
  ASSERT_TRUE(registry_.publisher_resumed("100", "x").ok());
  EXPECT_EQ(sink_.take(), (Events{"master_joined 100 100 "}));
}

TEST_F(GroupRegistryTest, ViewerPlayingEmitsViewerJoinedOnlyOnce) {
  create_group("100");
  admit("100", "200");
  auto first = registry_.viewer_playing("100", "200");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE((*first)->viewers.at("200").playing);
  EXPECT_TRUE(registry_.viewer_playing("100", "200").ok());
  EXPECT_EQ(sink_.take(), (Events{"viewer_joined 100 200 "}));
}

TEST_F(GroupRegistryTest, ViewerPlayingRequiresAnAdmission) {
  create_group("100");
  auto result = registry_.viewer_playing("100", "200");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::no_such_viewer);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, ViewerStoppedEmitsViewerLeftOnlyWhenPlaying) {
  create_group("100");
  admit("100", "200");
  EXPECT_TRUE(registry_.viewer_stopped("100", "200", "teardown").ok());
  EXPECT_TRUE(sink_.events.empty()) << "admitted but never playing";

  ASSERT_TRUE(registry_.viewer_playing("100", "200").ok());
  auto group = registry_.viewer_stopped("100", "200", "teardown");
  ASSERT_TRUE(group.ok());
  EXPECT_FALSE((*group)->viewers.at("200").playing);
  EXPECT_EQ((*group)->viewers.count("200"), 1u) << "stopping keeps the admission";
  EXPECT_TRUE(registry_.viewer_stopped("100", "200", "teardown").ok());
  EXPECT_EQ(sink_.take(), (Events{"viewer_joined 100 200 ", "viewer_left 100 200 teardown"}));
}

TEST_F(GroupRegistryTest, ViewerStoppedFailsForViewerNotAdmitted) {
  create_group("100");
  auto result = registry_.viewer_stopped("100", "200", "timeout");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::no_such_viewer);
}

TEST_F(GroupRegistryTest, RemovePlayingViewerEmitsViewerLeftAndRevokesAdmission) {
  create_group("100");
  start_playing("100", "200");
  sink_.take();
  auto group = registry_.remove_viewer("100", "200", "deleted");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)->viewers.count("200"), 0u);
  EXPECT_EQ(sink_.take(), (Events{"viewer_left 100 200 deleted"}));

  auto again = registry_.viewer_playing("100", "200");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), RegistryError::no_such_viewer);
}

TEST_F(GroupRegistryTest, RemoveViewerThatIsNotPlayingEmitsNothing) {
  create_group("100");
  admit("100", "200");
  ASSERT_TRUE(registry_.remove_viewer("100", "200", "deleted").ok());
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(registry_.find("100")->viewers.empty());
}

TEST_F(GroupRegistryTest, RemoveViewerFailsForViewerNotAdmitted) {
  create_group("100");
  auto result = registry_.remove_viewer("100", "200", "deleted");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), RegistryError::no_such_viewer);
}

TEST_F(GroupRegistryTest, ExpiredAdmissionGoesWithViewerLeftThoughItNeverPlayed) {
  create_group("100");
  admit("100", "200");
  sink_.take();
  auto group = registry_.expire_admission("100", "200", "admission expired");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)->viewers.count("200"), 0u);
  EXPECT_EQ(sink_.take(), (Events{"viewer_left 100 200 admission expired"}));
  auto again = registry_.expire_admission("100", "200", "admission expired");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), RegistryError::no_such_viewer);
}

TEST_F(GroupRegistryTest, CloseGroupEmitsViewerLeftForPlayingViewersThenGroupClosed) {
  create_group("100");
  connect_master("100");
  start_playing("100", "201");
  admit("100", "202");  // admitted only: gets no viewer_left
  start_playing("100", "203");
  sink_.take();

  auto closed = registry_.close_group("100", "deleted");
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(*closed);
  EXPECT_EQ(sink_.take(), (Events{"viewer_left 100 201 deleted", "viewer_left 100 203 deleted",
                                  "group_closed 100 100 deleted"}));
  EXPECT_EQ(registry_.find("100"), nullptr);
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(GroupRegistryTest, CloseGroupWithMasterLostEmitsItBeforeGroupClosed) {
  create_group("100");
  connect_master("100");
  start_playing("100", "200");
  ASSERT_TRUE(registry_.publisher_left("100").ok());
  sink_.take();

  ASSERT_TRUE(registry_.close_group("100", "timeout", /*master_lost=*/true).ok());
  EXPECT_EQ(sink_.take(), (Events{"viewer_left 100 200 timeout", "master_lost 100 100 timeout",
                                  "group_closed 100 100 timeout"}));
}

TEST_F(GroupRegistryTest, ClosedGroupCanBeCreatedAgainForTheSameMaster) {
  create_group("100");
  ASSERT_TRUE(registry_.close_group("100", "deleted").ok());
  const Group& again = create_group("100");
  EXPECT_EQ(again.state, GroupState::waiting_for_master);
}

TEST_F(GroupRegistryTest, EveryOperationOnAnUnknownGroupFailsWithNoSuchGroup) {
  const auto expect_no_such_group = [](const auto& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), RegistryError::no_such_group);
  };
  expect_no_such_group(registry_.admit_viewer("100", "200"));
  expect_no_such_group(registry_.remove_viewer("100", "200", "deleted"));
  expect_no_such_group(registry_.publisher_joined("100", "100"));
  expect_no_such_group(registry_.publisher_left("100"));
  expect_no_such_group(registry_.publisher_stalled("100", "x"));
  expect_no_such_group(registry_.publisher_resumed("100", "x"));
  expect_no_such_group(registry_.viewer_playing("100", "200"));
  expect_no_such_group(registry_.viewer_stopped("100", "200", "teardown"));
  expect_no_such_group(registry_.close_group("100", "deleted"));
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(GroupRegistryTest, GroupsAreListedInIdOrder) {
  create_group("300");
  create_group("100");
  create_group("200");
  std::vector<std::string> ids;
  for (const Group* group : registry_.groups())
    ids.push_back(group->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"100", "200", "300"}));
}

TEST_F(GroupRegistryTest, SinkSeesTheUpdatedStateWhenCalledBack) {
  create_group("100");
  admit("100", "200");
  std::vector<bool> playing_seen;
  sink_.on_event = [&](const GroupEvent& event) {
    const Group* group = registry_.find(event.group);
    ASSERT_NE(group, nullptr);
    playing_seen.push_back(group->viewers.at("200").playing);
  };
  ASSERT_TRUE(registry_.viewer_playing("100", "200").ok());
  ASSERT_TRUE(registry_.viewer_stopped("100", "200", "teardown").ok());
  EXPECT_EQ(playing_seen, (std::vector<bool>{true, false}));
}

TEST_F(GroupRegistryTest, GroupIsGoneForSinkDuringClose) {
  create_group("100");
  start_playing("100", "200");
  sink_.take();
  std::vector<bool> found_during_close;
  sink_.on_event = [&](const GroupEvent& event) {
    found_during_close.push_back(registry_.find(event.group) != nullptr);
    // Closing again from inside the close is harmless.
    EXPECT_FALSE(registry_.close_group(event.group, "again").ok());
  };
  ASSERT_TRUE(registry_.close_group("100", "deleted", true).ok());
  EXPECT_EQ(found_during_close, (std::vector<bool>{false, false, false}));
  EXPECT_EQ(sink_.take(), (Events{"viewer_left 100 200 deleted", "master_lost 100 100 deleted",
                                  "group_closed 100 100 deleted"}));
}

TEST_F(GroupRegistryTest, SinkMayCloseTheGroupFromAnEvent) {
  create_group("100");
  admit("100", "200");
  sink_.on_event = [&](const GroupEvent& event) {
    if (event.kind == GroupEventKind::viewer_joined) {
      EXPECT_TRUE(registry_.close_group(event.group, "kicked").ok());
    }
  };
  auto result = registry_.viewer_playing("100", "200");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, nullptr) << "the group no longer exists when the call returns";
  EXPECT_EQ(registry_.find("100"), nullptr);
  EXPECT_EQ(sink_.take(), (Events{"viewer_joined 100 200 ", "viewer_left 100 200 kicked",
                                  "group_closed 100 100 kicked"}));
}

TEST(GroupRegistryNamesTest, ToStringUsesTheEnumeratorNames) {
  EXPECT_EQ(to_string(GroupState::waiting_for_master), "waiting_for_master");
  EXPECT_EQ(to_string(GroupState::live), "live");
  EXPECT_EQ(to_string(GroupState::stalled), "stalled");
  EXPECT_EQ(to_string(GroupState::closed), "closed");
  EXPECT_EQ(to_string(GroupEventKind::master_stalled), "master_stalled");
  EXPECT_EQ(to_string(GroupEventKind::master_resumed), "master_resumed");
  EXPECT_EQ(to_string(GroupEventKind::master_joined), "master_joined");
  EXPECT_EQ(to_string(GroupEventKind::master_lost), "master_lost");
  EXPECT_EQ(to_string(GroupEventKind::viewer_joined), "viewer_joined");
  EXPECT_EQ(to_string(GroupEventKind::viewer_left), "viewer_left");
  EXPECT_EQ(to_string(GroupEventKind::group_closed), "group_closed");
  EXPECT_EQ(to_string(RegistryError::invalid_number), "invalid_number");
  EXPECT_EQ(to_string(RegistryError::group_exists), "group_exists");
  EXPECT_EQ(to_string(RegistryError::no_such_group), "no_such_group");
  EXPECT_EQ(to_string(RegistryError::too_many_groups), "too_many_groups");
  EXPECT_EQ(to_string(RegistryError::group_full), "group_full");
  EXPECT_EQ(to_string(RegistryError::no_such_viewer), "no_such_viewer");
  EXPECT_EQ(to_string(RegistryError::publisher_present), "publisher_present");
  EXPECT_EQ(to_string(RegistryError::not_the_master), "not_the_master");
}

}  // namespace
}  // namespace callcast::core
