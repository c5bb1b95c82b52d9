// 708 ([0154]) by the network side, issue 13 item 7: a broadcast from a number without a
// forwarding rule of its own forwards that number to the service number while it lasts (SIP
// phones never call the Ut API); a rule of the user's own is kept; sip.auto_forwarding = false
// leaves forwarding to the terminal alone.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"

namespace callcast::sip::test::call_controller_forwarding_test {
namespace {

using namespace std::chrono_literals;

TEST_F(SignalingCoreTest, NumberWithoutARuleForwardsToTheServiceWhileItBroadcasts) {
  EXPECT_FALSE(forwarding_of(kMaster));
  const auto master = start_live_broadcast(kMaster);
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number);
  // Viewers reach the broadcast through it.
  watch(kViewer, kMaster);
  receive_bye(master);
  EXPECT_FALSE(forwarding_of(kMaster)) << "cleared when the broadcast ended";
}

TEST_F(SignalingCoreTest, ForwardingIsSetOnlyOnceTheBroadcastIsLive) {
  receive_invite_to_service(kMaster);
  media_reports_group_created();  // 183: the master's media not there yet
  EXPECT_FALSE(forwarding_of(kMaster));
  time_.advance(config_.master_join_timeout);  // 408: it never went live
  EXPECT_FALSE(forwarding_of(kMaster));
}

// The user forwards its number elsewhere: viewers go where the user said, and the end of the
// broadcast does not erase the user's rule.
TEST_F(SignalingCoreTest, UsersOwnForwardingIsKeptAndNotClearedAtTheEnd) {
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, kOther));
  const auto master = start_live_broadcast(kMaster);
  EXPECT_EQ(forwarding_of(kMaster), kOther);
  receive_bye(master);
  EXPECT_EQ(forwarding_of(kMaster), kOther);
}

// The terminal set it through the Ut API before calling: left as it is, cleared at the end as
// the network side's own.
TEST_F(SignalingCoreTest, ForwardingTheTerminalSetToTheServiceIsLeftAndClearedAtTheEnd) {
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, config_.service_number));
  const auto master = start_live_broadcast(kMaster);
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number);
  receive_bye(master);
  EXPECT_FALSE(forwarding_of(kMaster));
}

// The user points the number elsewhere during the broadcast: kept at the end (as before).
TEST_F(SignalingCoreTest, RuleTheUserChangedDuringTheBroadcastIsKept) {
  const auto master = start_live_broadcast(kMaster);
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, kOther));
  receive_bye(master);
  EXPECT_EQ(forwarding_of(kMaster), kOther);
}

TEST_F(SignalingCoreTest, WithoutAutoForwardingTheNetworkSideNeverTouchesForwarding) {
  config_.auto_forwarding = false;
  make_core();
  const auto master = start_live_broadcast(kMaster);
  EXPECT_FALSE(forwarding_of(kMaster)) << "not set by the network side";
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning,
              ::testing::HasSubstr("its calls are not forwarded to the broadcast service"));

  // The terminal's own Ut PUT makes it reachable, and its rule outlives the broadcast: its Ut
  // DELETE is what clears it.
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, config_.service_number));
  watch(kViewer, kMaster);
  receive_bye(master);
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number);
}

}  // namespace
}  // namespace callcast::sip::test::call_controller_forwarding_test
