// The calls of figure 7 (701-714) and every answer the network side gives to an INVITE, driven
// through SignalingCore without a SIP stack (the e2e tests in tests/e2e/sip_*_test.cpp run the
// same flows over sofia-sip and sockets).
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"
#include "sipwire/iptv_sdp.hpp"

namespace callcast::sip::test {
namespace {

using control::ControlErrorCode;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// 701-707: 183 with the publish URI once the group exists, 200 once the master's media joined.
TEST_F(SignalingCoreTest, BroadcastIsAnsweredWithPublishUriThenOkWhenTheMasterJoins) {
  const auto master = receive_invite_to_service(kMaster);
  ASSERT_EQ(media_.creates.size(), 1u);
  EXPECT_EQ(media_.creates.front().master, kMaster);
  expect_no_final_answer(master);
  EXPECT_TRUE(stack_.answers[master].empty()) << "nothing before the media side answered";

  media_reports_group_created();
  const auto progress = last_answer(master);
  EXPECT_EQ(progress.status, 183);
  EXPECT_STREQ(progress.phrase, "Session Progress");
  EXPECT_EQ(progress.content_type, "application/sdp");
  EXPECT_EQ(rtsp_uri_from_sdp(progress.body), "rtsp://media/publish/" + kMaster);

  media_reports_master_joined(kMaster);
  const auto ok = expect_final_answer(master, 200);
  EXPECT_EQ(rtsp_uri_from_sdp(ok.body), "rtsp://media/publish/" + kMaster);
  // 708: the network side forwards the master's number to the service number itself.
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number);
  EXPECT_EQ(core_->stats().broadcasts, 1u);
  EXPECT_EQ(core_->stats().broadcast_list.at(0).state, "live");
}

TEST_F(SignalingCoreTest, MasterIsToldWhereTheUtServerIsInCallInfo) {
  core_->set_ut_endpoint("", core::HostPort{"0.0.0.0", 8080});
  const auto master = receive_invite_to_service(kMaster);
  media_reports_group_created();
  EXPECT_EQ(last_answer(master).call_info, "<http://127.0.0.1:8080>;purpose=callcast-ut");
}

TEST_F(SignalingCoreTest, AnswerOverTcpCarriesATcpContact) {
  SipRequest request = invite(config_.service_number, kMaster,
                              make_iptv_offer("127.0.0.1", IptvDirection::sendonly));
  request.over_tcp = true;
  const auto master = receive(request);
  media_reports_group_created();
  EXPECT_EQ(last_answer(master).contact, "<sip:777@127.0.0.1:5060;transport=tcp>");
}

TEST_F(SignalingCoreTest, InviteWithoutCredentialsIsChallenged) {
  const auto handle = receive(invite(config_.service_number, kMaster, "", ""));
  const auto answer = expect_final_answer(handle, 401);
  ASSERT_EQ(answer.www_authenticate.size(), 1u);
  EXPECT_THAT(answer.www_authenticate.front(), HasSubstr("algorithm=MD5"));
  EXPECT_TRUE(media_.creates.empty());
  EXPECT_EQ(core_->stats().auth_challenges, 1u);
}

TEST_F(SignalingCoreTest, WrongPasswordIsForbidden) {
  const auto handle = receive(invite(config_.service_number, kMaster, "", "not-the-password"));
  EXPECT_THAT(expect_final_answer(handle, 403).warning, HasSubstr("wrong user name or password"));
  EXPECT_EQ(core_->stats().auth_failures, 1u);
}

TEST_F(SignalingCoreTest, FromOtherThanTheAuthenticatedUserIsForbidden) {
  SipRequest request = invite(config_.service_number, kMaster, "");
  request.from_user = kOther;
  EXPECT_THAT(expect_final_answer(receive(request), 403).warning, HasSubstr("From does not match"));
}

TEST_F(SignalingCoreTest, InviteWithoutFromIsABadRequest) {
  SipRequest request = invite(config_.service_number, kMaster, "");
  request.has_from = false;
  EXPECT_THAT(expect_final_answer(receive(request), 400).warning, HasSubstr("without"));
}

TEST_F(SignalingCoreTest, BodyShorterThanItsContentLengthIsABadRequest) {
  SipRequest request = invite(config_.service_number, kMaster, "v=0\r\n");
  request.body_cut_short = true;
  EXPECT_THAT(expect_final_answer(receive(request), 400).warning, HasSubstr("Content-Length"));
}

TEST_F(SignalingCoreTest, BodyThatIsNotSdpGets415WithAccept) {
  SipRequest request = invite(config_.service_number, kMaster, "hello");
  request.content_type = "text/plain";
  EXPECT_EQ(expect_final_answer(receive(request), 415).accept, "application/sdp");
}

TEST_F(SignalingCoreTest, RequestUriWithoutANumberIsNotFound) {
  SipRequest request = invite(config_.service_number, kMaster, "");
  request.request_user.reset();
  EXPECT_THAT(expect_final_answer(receive(request), 404).warning, HasSubstr("no number"));
}

TEST_F(SignalingCoreTest, OfferThatIsNotSdpGets488AndCreatesNothing) {
  const auto handle = receive(invite(config_.service_number, kMaster, "this is not SDP"));
  EXPECT_FALSE(expect_final_answer(handle, 488).warning.empty());
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(SignalingCoreTest, ViewersRecvonlyOfferAtTheServiceNumberGets488) {
  const auto handle = receive(invite(config_.service_number, kMaster,
                                     make_iptv_offer("127.0.0.1", IptvDirection::recvonly)));
  EXPECT_THAT(expect_final_answer(handle, 488).warning, HasSubstr("to watch, call"));
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(SignalingCoreTest, PhonesOfferAtTheServiceNumberWithNothingToBroadcastGets488) {
  // Issue 13: a phone broadcasts what it offers to send; G.729 alone is nothing callcast takes.
  const std::string audio =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18\r\n";
  const auto handle = receive(invite(config_.service_number, kMaster, audio));
  EXPECT_THAT(expect_final_answer(handle, 488).warning, HasSubstr("nothing to broadcast"));
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(SignalingCoreTest, SecondBroadcastOfTheSameMasterIsBusy) {
  start_live_broadcast(kMaster);
  const auto again = receive_invite_to_service(kMaster);
  EXPECT_THAT(expect_final_answer(again, 486).warning, HasSubstr("already broadcasting"));
  EXPECT_TRUE(media_.creates.empty());
}

TEST_F(SignalingCoreTest, CallsOverTheCapGet503WithRetryAfterBeforeAuthentication) {
  config_.max_calls = 1;
  make_core();
  receive_invite_to_service(kMaster);
  const auto over = receive(invite(config_.service_number, kOther, "", ""));
  const auto answer = expect_final_answer(over, 503);
  EXPECT_EQ(answer.retry_after_s, 5);
  EXPECT_THAT(answer.warning, HasSubstr("too many calls (1)"));
  EXPECT_EQ(core_->stats().auth_challenges, 0u);
  EXPECT_EQ(core_->stats().rejected_over_cap, 1u);
}

struct MediaRefusal {
  ControlErrorCode code;
  int status;
  int retry_after_s;
};

class MasterMediaRefusalTest : public SignalingCoreTest,
                               public ::testing::WithParamInterface<MediaRefusal> {};

// 702: the media side refuses to create the group.
TEST_P(MasterMediaRefusalTest, IsAnsweredAndForgotten) {
  const auto master = receive_invite_to_service(kMaster);
  media_refuses_group(GetParam().code);
  EXPECT_EQ(expect_final_answer(master, GetParam().status).retry_after_s, GetParam().retry_after_s);
  EXPECT_EQ(core_->stats().broadcasts, 0u);
  EXPECT_FALSE(forwarding_of(kMaster));
}

INSTANTIATE_TEST_SUITE_P(Codes, MasterMediaRefusalTest,
                         ::testing::Values(MediaRefusal{ControlErrorCode::conflict, 486, 0},
                                           MediaRefusal{ControlErrorCode::limit_reached, 503, 5},
                                           MediaRefusal{ControlErrorCode::unavailable, 503, 5},
                                           MediaRefusal{ControlErrorCode::not_found, 500, 0},
                                           MediaRefusal{ControlErrorCode::bad_request, 500, 0}),
                         [](const auto& case_info) {
                           return std::string(control::to_string(case_info.param.code));
                         });

// 706: the master's media must connect within sip.master_join_timeout_s.
TEST_F(SignalingCoreTest, MasterWhoseMediaNeverJoinsGets408AndItsGroupCloses) {
  const auto master = receive_invite_to_service(kMaster);
  media_reports_group_created();
  time_.advance(config_.master_join_timeout - 1ms);
  expect_no_final_answer(master);
  EXPECT_TRUE(media_.closed_groups.empty());

  time_.advance(1ms);
  const auto timeout = expect_final_answer(master, 408);
  EXPECT_STREQ(timeout.phrase, "Request Timeout");
  EXPECT_THAT(timeout.warning, HasSubstr("did not connect within 15 s"));
  EXPECT_EQ(media_.closed_groups, std::vector<std::string>{kMaster});
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(SignalingCoreTest, JoinTimeoutIsCancelledWhenTheMasterJoins) {
  const auto master = start_live_broadcast(kMaster);
  time_.advance(config_.master_join_timeout * 2);
  EXPECT_EQ(last_answer(master).status, 200);
  EXPECT_TRUE(media_.closed_groups.empty());
}

// A CANCEL while the media side creates the group: the group is closed once it exists.
TEST_F(SignalingCoreTest, CancelWhileTheGroupIsMadeClosesItWhenItArrives) {
  const auto master = receive_invite_to_service(kMaster);
  receive_cancel(master);
  media_reports_group_created();
  EXPECT_EQ(media_.closed_groups, std::vector<std::string>{kMaster});
  EXPECT_TRUE(stack_.answers[master].empty());
}

// 703: the master's BYE ends the group and every viewer's dialog.
TEST_F(SignalingCoreTest, MastersByeEndsTheBroadcastAndItsViewers) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  receive_bye(master);
  expect_bye(viewer, "broadcast ended");
  expect_no_bye(master);
  EXPECT_EQ(media_.closed_groups, std::vector<std::string>{kMaster});
  EXPECT_FALSE(forwarding_of(kMaster)) << "708 undone";
  EXPECT_EQ(core_->stats().broadcasts, 0u);
}

TEST_F(SignalingCoreTest, ShuttingDownEndsEveryCallAndRefusesNewOnes) {
  const auto master = start_live_broadcast(kMaster);
  const auto viewer = watch(kViewer, kMaster);
  core_->stop("server shutting down");
  expect_bye(master, "broadcast ended");
  expect_bye(viewer, "broadcast ended");
  EXPECT_EQ(media_.closed_groups, std::vector<std::string>{kMaster});
  const auto late = receive_invite_to_service(kOther);
  const auto answer = expect_final_answer(late, 503);
  EXPECT_THAT(answer.warning, HasSubstr("shutting down"));
  EXPECT_EQ(answer.retry_after_s, 5);
}

}  // namespace
}  // namespace callcast::sip::test
