// 710-714: a viewer calls the master's number, the call follows its forwarding to the service,
// and the media side admits the viewer; and every refusal on the way.
#include <gmock/gmock.h>
#include <sqlite3.h>

#include "signaling_core_fixture.hpp"
#include "sipwire/iptv_sdp.hpp"

namespace callcast::sip::test {
namespace {

using control::ControlErrorCode;
using ::testing::HasSubstr;

TEST_F(SignalingCoreTest, ViewerIsForwardedAdmittedAndAnsweredWithThePlayUri) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_EQ(last_answer(viewer).status, 181);
  EXPECT_STREQ(last_answer(viewer).phrase, "Call Is Being Forwarded");
  ASSERT_EQ(media_.admits.size(), 1u);
  EXPECT_EQ(media_.admits.front().group, kMaster);
  EXPECT_EQ(media_.admits.front().viewer, kViewer);

  media_admits_viewer();
  const auto ok = expect_final_answer(viewer, 200);
  EXPECT_EQ(rtsp_uri_from_sdp(ok.body), "rtsp://media/play/" + kMaster);
  EXPECT_TRUE(ok.call_info.empty()) << "only masters are told the Ut server";
  EXPECT_EQ(core_->stats().viewer_calls, 1u);
}

TEST_F(SignalingCoreTest, ViewerFollowsAChainOfForwardings) {
  start_live_broadcast(kMaster);
  ASSERT_TRUE(forwarding_->set_unconditional(kOther, kMaster));
  const auto viewer = receive_invite_to(kOther, kViewer);
  ASSERT_EQ(media_.admits.size(), 1u);
  EXPECT_EQ(media_.admits.front().group, kMaster);
  media_admits_viewer();
  expect_final_answer(viewer, 200);
}

TEST_F(SignalingCoreTest, UnknownNumberIsNotFound) {
  const auto viewer = receive_invite_to("19999999999", kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 404).warning, HasSubstr("is not a known number"));
}

TEST_F(SignalingCoreTest, NumberThatDoesNotForwardIsTemporarilyUnavailable) {
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning,
              HasSubstr("is not broadcasting (its calls"));
  EXPECT_TRUE(media_.admits.empty());
}

TEST_F(SignalingCoreTest, ForwardingLoopIsDetected) {
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, kOther));
  ASSERT_TRUE(forwarding_->set_unconditional(kOther, kMaster));
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 482).warning, HasSubstr("loops"));
}

TEST_F(SignalingCoreTest, ForwardingLongerThanTheHopLimitIsRefused) {
  // 13000000000 -> 13000000001 -> ... each one a user, none at the service.
  std::vector<std::string> chain;
  for (int i = 0; i < 8; ++i) {
    chain.push_back("1300000000" + std::to_string(i));
    ASSERT_TRUE(auth::add_user(dir_ / "users", "callcast", chain.back(), kPassword));
  }
  ASSERT_TRUE(users_->load());
  for (std::size_t i = 0; i + 1 < chain.size(); ++i)
    ASSERT_TRUE(forwarding_->set_unconditional(chain[i], chain[i + 1]));
  const auto viewer = receive_invite_to(chain.front(), kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 483).warning, HasSubstr("hops"));
}

TEST_F(SignalingCoreTest, ForwardingStoreFailureIsAServerError) {
  // Another connection drops the rules' table under the store.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "forwarding.sqlite").string().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "DROP TABLE forwarding", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 500).warning, HasSubstr("forwarding lookup failed"));
}

TEST_F(SignalingCoreTest, ForwardedNumberWithoutALiveBroadcastIsTemporarilyUnavailable) {
  ASSERT_TRUE(forwarding_->set_unconditional(kMaster, config_.service_number));
  const auto viewer = receive_invite_to(kMaster, kViewer);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning,
              HasSubstr(kMaster + " is not broadcasting"));
}

TEST_F(SignalingCoreTest, BroadcastNotYetAnsweredTakesNoViewers) {
  receive_invite_to_service(kMaster);
  media_reports_group_created();  // 183 sent, the master's media not there yet
  const auto viewer = receive_invite_to(kMaster, kViewer);
  expect_final_answer(viewer, 480);
}

struct ViewerRefusal {
  ControlErrorCode code;
  int status;
  const char* warning;
};

class ViewerMediaRefusalTest : public SignalingCoreTest,
                               public ::testing::WithParamInterface<ViewerRefusal> {};

// 711-712: the media side refuses to admit the viewer.
TEST_P(ViewerMediaRefusalTest, IsAnswered) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  media_refuses_viewer(GetParam().code);
  EXPECT_THAT(expect_final_answer(viewer, GetParam().status).warning,
              HasSubstr(GetParam().warning));
  EXPECT_TRUE(media_.removed_viewers.empty()) << "nothing was admitted";
}

INSTANTIATE_TEST_SUITE_P(
    Codes, ViewerMediaRefusalTest,
    ::testing::Values(ViewerRefusal{ControlErrorCode::limit_reached, 486, "is full"},
                      ViewerRefusal{ControlErrorCode::conflict, 486, "already broadcasting"},
                      ViewerRefusal{ControlErrorCode::not_found, 480, "is not broadcasting"},
                      ViewerRefusal{ControlErrorCode::unavailable, 503, "media side:"},
                      ViewerRefusal{ControlErrorCode::bad_request, 500, "media side:"}),
    [](const auto& case_info) { return std::string(control::to_string(case_info.param.code)); });

// 714: a viewer's BYE takes it off the media side, the broadcast goes on.
TEST_F(SignalingCoreTest, ViewersByeRemovesOnlyThatViewer) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  receive_bye(viewer);
  using Removed = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(media_.removed_viewers, (Removed{{kMaster, kViewer}}));
  expect_no_bye(master);
  EXPECT_EQ(core_->stats().viewer_calls, 0u);
  EXPECT_EQ(core_->stats().broadcasts, 1u);
}

TEST_F(SignalingCoreTest, ViewerWatchingThroughTwoDialogsKeepsItsAdmissionUntilTheLastEnds) {
  start_live_broadcast(kMaster);
  const auto first = watch(kViewer, kMaster);
  const auto second = watch(kViewer, kMaster);
  receive_bye(first);
  EXPECT_TRUE(media_.removed_viewers.empty());
  receive_bye(second);
  EXPECT_EQ(media_.removed_viewers.size(), 1u);
}

TEST_F(SignalingCoreTest, ViewerCancelledWhileAdmittedIsRemovedAgain) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  receive_cancel(viewer);
  media_admits_viewer();
  EXPECT_EQ(media_.removed_viewers.size(), 1u);
}

// The broadcast ends while a viewer waits for its admission: 480, not a BYE.
TEST_F(SignalingCoreTest, ViewerStillSettingUpWhenTheBroadcastEndsGets480) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  receive_bye(master);
  EXPECT_THAT(expect_final_answer(viewer, 480).warning, HasSubstr("the broadcast ended"));
  expect_no_bye(viewer);
}

}  // namespace
}  // namespace callcast::sip::test
