// The SIP series of GET /metrics as the call logic fills them (SignalingStats::metrics): every
// final answer to an INVITE counted by call kind and status, and a call's set-up time (INVITE to
// 200) taken from the injected clock. tests/e2e/metrics_test.cpp checks the same over sofia-sip.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"
#include "sipwire/iptv_sdp.hpp"

namespace callcast::sip::test::call_controller_metrics_test {
namespace {

using control::ControlErrorCode;
using Kind = SipMetrics::InviteKind;
using namespace std::chrono_literals;

TEST_F(SignalingCoreTest, BroadcastOkIsCountedAsAServiceCallWithItsSetUpTime) {
  const auto master = receive_invite_to_service(kMaster);
  time_.advance(100ms);
  media_reports_group_created();
  time_.advance(150ms);
  media_reports_master_joined(kMaster);
  expect_final_answer(master, 200);

  const auto metrics = core_->stats().metrics;
  EXPECT_EQ(metrics.answered(Kind::service, 200), 1u);
  EXPECT_EQ(metrics.answered(Kind::service, 183), 0u) << "provisional answers are not counted";
  const auto& setup = metrics.setup_times(Kind::service);
  EXPECT_EQ(setup.count(), 1u);
  EXPECT_DOUBLE_EQ(setup.sum(), 0.25) << "from the INVITE to the 200, on the injected clock";
  EXPECT_EQ(metrics.setup_times(Kind::viewer).count(), 0u);
}

TEST_F(SignalingCoreTest, ViewerOkIsCountedAsAViewerCallWithItsSetUpTime) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  time_.advance(40ms);
  media_admits_viewer();
  expect_final_answer(viewer, 200);

  const auto metrics = core_->stats().metrics;
  EXPECT_EQ(metrics.answered(Kind::viewer, 200), 1u);
  EXPECT_EQ(metrics.answered(Kind::viewer, 181), 0u);
  EXPECT_EQ(metrics.setup_times(Kind::viewer).count(), 1u);
  EXPECT_DOUBLE_EQ(metrics.setup_times(Kind::viewer).sum(), 0.04);
  EXPECT_EQ(metrics.answered(Kind::service, 200), 1u) << "the master's own call";
}

TEST_F(SignalingCoreTest, ViewerRefusedByTheMediaSideIsCountedByItsStatus) {
  start_live_broadcast(kMaster);
  const auto viewer = receive_invite_to(kMaster, kViewer);
  media_refuses_viewer(ControlErrorCode::limit_reached);
  expect_final_answer(viewer, 486);

  const auto metrics = core_->stats().metrics;
  EXPECT_EQ(metrics.answered(Kind::viewer, 486), 1u);
  EXPECT_EQ(metrics.setup_times(Kind::viewer).count(), 0u) << "no call was set up";
}

TEST_F(SignalingCoreTest, ViewerRefusedOnItsForwardingIsCountedAsAViewerCall) {
  const auto viewer = receive_invite_to("19999999999", kViewer);  // not a known number
  expect_final_answer(viewer, 404);
  EXPECT_EQ(core_->stats().metrics.answered(Kind::viewer, 404), 1u);
}

TEST_F(SignalingCoreTest, MasterRefusedByTheMediaSideIsCountedAsAServiceCall) {
  const auto master = receive_invite_to_service(kMaster);
  media_refuses_group(ControlErrorCode::unavailable);
  expect_final_answer(master, 503);
  EXPECT_EQ(core_->stats().metrics.answered(Kind::service, 503), 1u);
}

TEST_F(SignalingCoreTest, EarlyRefusalsAreCountedUnclassified) {
  expect_final_answer(receive(invite(config_.service_number, kMaster, "", "")), 401);
  expect_final_answer(receive(invite(config_.service_number, kMaster, "", "not-the-password")),
                      403);
  SipRequest not_sdp = invite(config_.service_number, kMaster, "hello");
  not_sdp.content_type = "text/plain";
  expect_final_answer(receive(not_sdp), 415);

  const auto metrics = core_->stats().metrics;
  EXPECT_EQ(metrics.answered(Kind::unclassified, 401), 1u);
  EXPECT_EQ(metrics.answered(Kind::unclassified, 403), 1u);
  EXPECT_EQ(metrics.answered(Kind::unclassified, 415), 1u);
  EXPECT_EQ(metrics.answered(Kind::service, 401), 0u);
}

TEST_F(SignalingCoreTest, RegisterChallengesAreNotCountedAsInviteAnswers) {
  SipRequest request = register_request(kMaster, 3600);
  request.credentials.clear();
  expect_final_answer(receive_register(request), 401);
  EXPECT_EQ(core_->stats().auth_challenges, 1u);
  EXPECT_EQ(core_->stats().metrics.answered(Kind::unclassified, 401), 0u);
}

}  // namespace
}  // namespace callcast::sip::test::call_controller_metrics_test
