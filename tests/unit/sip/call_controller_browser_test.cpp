// 710-714 for a browser (issue 14): a WHEP request, authenticated by the HTTP side, made into a
// call by WebCalls, takes a SIP viewer's path: forwarding, admission, then the media side
// answers its WebRTC offer; the final answer goes back to the waiting HTTP request, and the
// browser's DELETE, the broadcast's end or a refusal end it as a BYE or an error would.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"

namespace callcast::sip::test::call_controller_browser_test {
namespace {

using ::testing::HasSubstr;

const std::string kWebRtcOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n"
    "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\n";

class BrowserCallTest : public SignalingCoreTest {
 protected:
  // A browser of `caller` asks to watch `dialled`; its final answer lands in `answer_`.
  StackHandle browser_calls(const std::string& dialled, const std::string& caller = kViewer) {
    const StackHandle handle =
        web_.open(caller, [this](WebCallAnswer answer) { answers_.push_back(std::move(answer)); });
    SipRequest request;
    request.has_request_uri = true;
    request.request_user = dialled;
    request.has_from = true;
    request.from_user = caller;
    request.has_to = true;
    request.to_user = dialled;
    request.web_caller = caller;
    request.content_type = "application/sdp";
    request.body = kWebRtcOffer;
    request.source_address = "198.51.100.4";
    core_->on_invite(handle, request);
    return handle;
  }

  // The media side answered the last browser's offer.
  void media_answers_browser(const std::string& sdp = "v=0\r\nanswer\r\n") {
    ASSERT_FALSE(media_.webrtc_viewers.empty()) << "no start_webrtc_viewer";
    media_.webrtc_viewers.back().done(control::WebRtcViewerStarted{"webrtc-1", sdp});
  }

  bool viewer_removed() const {
    return std::find(media_.removed_viewers.begin(), media_.removed_viewers.end(),
                     std::make_pair(kMaster, kViewer)) != media_.removed_viewers.end();
  }

  std::vector<WebCallAnswer> answers_;
};

TEST_F(BrowserCallTest, WatchingALiveNumberIsAdmittedAndAnsweredWithTheMediaSidesSdp) {
  start_live_broadcast(kMaster);
  browser_calls(kMaster);
  EXPECT_TRUE(answers_.empty()) << "answered before the admission";
  media_admits_viewer();
  ASSERT_EQ(media_.webrtc_viewers.size(), 1U);
  const auto& request = media_.webrtc_viewers.back().request;
  EXPECT_EQ(request.group, kMaster);
  EXPECT_EQ(request.viewer, kViewer);
  EXPECT_EQ(request.offer, kWebRtcOffer);
  EXPECT_EQ(request.source_address, "198.51.100.4");
  media_answers_browser("v=0\r\nthe answer\r\n");
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 200);
  EXPECT_EQ(answers_[0].sdp, "v=0\r\nthe answer\r\n");
  EXPECT_EQ(answers_[0].session.size(), 32U) << "128 random bits name the session";
  EXPECT_EQ(web_.open_calls(), 1U);

  // Ended by the browser (WHEP DELETE): only with its own number and session.
  EXPECT_FALSE(web_.close(answers_[0].session, kOther));
  EXPECT_FALSE(web_.close("not-a-session", kViewer));
  EXPECT_FALSE(viewer_removed());
  EXPECT_TRUE(web_.close(answers_[0].session, kViewer));
  run_web_reports();
  EXPECT_TRUE(viewer_removed()) << "its admission and media go as at a BYE";
  EXPECT_EQ(web_.open_calls(), 0U);
}

TEST_F(BrowserCallTest, ANumberNotBroadcastingOrUnknownIsRefusedWithItsReason) {
  browser_calls(kMaster);
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 480);
  EXPECT_THAT(answers_[0].message, HasSubstr(kMaster + " is not broadcasting"));
  browser_calls("19999999999");
  ASSERT_EQ(answers_.size(), 2U);
  EXPECT_EQ(answers_[1].status, 404);
  EXPECT_THAT(answers_[1].message, HasSubstr("is not a known number"));
  run_web_reports();
  EXPECT_EQ(web_.open_calls(), 0U);
  EXPECT_TRUE(media_.admits.empty()) << "nothing was admitted";
}

TEST_F(BrowserCallTest, AFullBroadcastIsBusy) {
  start_live_broadcast(kMaster);
  browser_calls(kMaster);
  media_refuses_viewer(control::ControlErrorCode::limit_reached);
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 486);
  EXPECT_THAT(answers_[0].message, HasSubstr("is full"));
}

// WHIP (701-707): the browser's call to the service number makes the group; the media side
// answers its offer and takes its media; the 200 (the WHIP 201) carries that answer once the
// group is live (706), whichever of the two comes first.
TEST_F(BrowserCallTest, ABrowserBroadcastsAndIsAnsweredOnceLiveAndAnswered) {
  browser_calls(config_.service_number, kMaster);
  media_reports_group_created();
  ASSERT_EQ(media_.webrtc_publishers.size(), 1U);
  EXPECT_EQ(media_.webrtc_publishers[0].request.master, kMaster);
  EXPECT_EQ(media_.webrtc_publishers[0].request.offer, kWebRtcOffer);
  media_reports_master_joined(kMaster);  // 706 before the answer came back
  EXPECT_TRUE(answers_.empty()) << "no 200 without the media side's SDP answer";
  media_.webrtc_publishers[0].done(control::WebRtcViewerStarted{"whip-1", "v=0\r\nwhip\r\n"});
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 200);
  EXPECT_EQ(answers_[0].sdp, "v=0\r\nwhip\r\n");
  EXPECT_EQ(forwarding_of(kMaster), config_.service_number) << "708 as for any broadcaster";
  // The browser ends it (WHIP DELETE): the group goes.
  EXPECT_TRUE(web_.close(answers_[0].session, kMaster));
  run_web_reports();
  EXPECT_THAT(media_.closed_groups, ::testing::Contains(kMaster));
}

TEST_F(BrowserCallTest, ABroadcastOfferTheMediaSideRefusesIs488AndTheGroupGoes) {
  browser_calls(config_.service_number, kMaster);
  media_reports_group_created();
  ASSERT_EQ(media_.webrtc_publishers.size(), 1U);
  media_.webrtc_publishers[0].done(callcast::fail(control::ControlError{
      control::ControlErrorCode::bad_request, "the offer sends nothing a broadcast can carry"}));
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 488);
  EXPECT_THAT(answers_[0].message, HasSubstr("nothing a broadcast can carry"));
  EXPECT_THAT(media_.closed_groups, ::testing::Contains(kMaster));
}

TEST_F(BrowserCallTest, AnOfferTheMediaSideCannotUseIs488AndReleasesTheAdmission) {
  start_live_broadcast(kMaster);
  browser_calls(kMaster);
  media_admits_viewer();
  ASSERT_EQ(media_.webrtc_viewers.size(), 1U);
  media_.webrtc_viewers.back().done(callcast::fail(control::ControlError{
      control::ControlErrorCode::bad_request, "the broadcast's video is H.264 profile 640028"}));
  ASSERT_EQ(answers_.size(), 1U);
  EXPECT_EQ(answers_[0].status, 488);
  EXPECT_THAT(answers_[0].message, HasSubstr("640028"));
  EXPECT_TRUE(viewer_removed());
  run_web_reports();
  EXPECT_EQ(web_.open_calls(), 0U);
}

TEST_F(BrowserCallTest, TheBroadcastsEndEndsTheBrowsersCall) {
  const StackHandle master = start_live_broadcast(kMaster);
  browser_calls(kMaster);
  media_admits_viewer();
  media_answers_browser();
  ASSERT_EQ(answers_.size(), 1U);
  receive_bye(master);
  run_web_reports();
  EXPECT_THAT(media_.closed_groups, ::testing::Contains(kMaster)) << "its media went with it";
  EXPECT_EQ(web_.open_calls(), 0U) << "the logic's BYE ended the browser's call";
  EXPECT_FALSE(web_.close(answers_[0].session, kViewer)) << "a DELETE after it finds nothing";
}

// The tab closed (or the browser died) without its DELETE reaching us: the media side ended the
// session on the browser's DTLS close_notify, or when its ICE consent expired. Its call ends as at
// a BYE: the admission goes (the broadcast's place is free), no open call is left behind.
TEST_F(BrowserCallTest, TheMediaSideEndingABrowsersSessionEndsItsCall) {
  start_live_broadcast(kMaster);
  for (const std::string reason : {"the browser closed the connection",
                                   "ICE consent expired (no connectivity check for 30 s)"}) {
    SCOPED_TRACE(reason);
    media_.removed_viewers.clear();
    answers_.clear();
    browser_calls(kMaster);
    media_admits_viewer();
    media_answers_browser();
    ASSERT_EQ(answers_.size(), 1U);
    media_reports(core::GroupEventKind::viewer_joined, kMaster, kViewer, "");
    EXPECT_FALSE(viewer_removed());
    media_reports(core::GroupEventKind::viewer_left, kMaster, kViewer, reason);
    run_web_reports();
    EXPECT_TRUE(viewer_removed()) << "its admission goes as at a BYE";
    EXPECT_EQ(web_.open_calls(), 0U);
    EXPECT_FALSE(web_.close(answers_[0].session, kViewer)) << "a DELETE after it finds nothing";
  }
}

TEST_F(BrowserCallTest, AMediaSessionThatNeverStartsIsHungUpAfterTheTimeout) {
  start_live_broadcast(kMaster);
  browser_calls(kMaster);
  media_admits_viewer();
  media_answers_browser();
  time_.advance(config_.viewer_media_start_timeout + std::chrono::seconds(1));
  run_web_reports();
  EXPECT_TRUE(viewer_removed()) << "ICE/DTLS never finished: the call is ended";
  EXPECT_EQ(web_.open_calls(), 0U);
}

}  // namespace
}  // namespace callcast::sip::test::call_controller_browser_test
