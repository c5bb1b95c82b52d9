#pragma once
// The calls of the patent's figure 7 on the network side, over the SipStack adapter:
//   broadcast: 701 INVITE to the service number -> 702 create_group -> 704 183 with the publish
//              URI -> 706 master_joined -> 707 200 OK; a SIP phone's audio/video offer is answered
//              recvonly instead: 702 -> start_phone_publisher (its RTP feeds the group) -> 706
//              -> 200 OK with the answer;
//   watch:     710 INVITE to the master's number -> forwarding -> 181 -> 711-712 admit_viewer ->
//              713 200 OK with the play URI; a SIP phone's audio/video offer (no iptv_rtsp line)
//              is answered by offer/answer instead, after the media side started its RTP;
//   ending:    the master's BYE or CANCEL, or the media side's master_lost, ends the group and
//              every viewer dialog of it; a viewer's BYE removes that viewer; a viewer whose
//              media never starts (sip.viewer_media_start_timeout_s) or that the media side
//              dropped on its own (silence, lost connection) gets a BYE whose Reason says why.
// Every refusal carries a Warning saying why (sipwire/warning_text.hpp).
//
// SIP thread only. The media side's completions come back through `post` (production: the
// SipLoop's queue), timers from the injected TimerFactory, so unit tests drive it all without a
// stack, a socket or sleeping.
#include <functional>
#include <string>
#include <string_view>

#include "auth/user_directory.hpp"
#include "control/media_control.hpp"
#include "core/config.hpp"
#include "core/time_source.hpp"
#include "forwarding/forwarding_rules.hpp"
#include "sip/audience_reporter.hpp"
#include "sip/call_table.hpp"
#include "sip/request_authenticator.hpp"

namespace callcast::sip {

class CallController {
 public:
  using Post = std::function<void(std::function<void()>)>;

  struct Services {
    control::MediaControl& media;
    forwarding::ForwardingRules& forwarding;
    auth::UserDirectory& users;
    RequestAuthenticator& authenticator;
    SipStack& stack;
    AudienceReporter& audience;
    const core::TimeSource& time;
    core::TimerFactory& timers;
    Post post;
  };

  CallController(const core::SipConfig& config, CallTable& table, SignalingStats& counters,
                 Services services);

  // Our SIP address, for the Contact of answers over TCP.
  void set_bound(core::HostPort bound) { bound_ = std::move(bound); }
  // See NetworkSide::set_ut_endpoint.
  void set_ut_endpoint(std::string public_url, core::HostPort http_listen);

  void on_invite(StackHandle handle, const SipRequest& request);
  void on_call_ended(CallId id, const char* why);  // BYE/CANCEL received or dialog terminated
  // The ACK of a 200: a watching phone's media starts (714).
  void on_call_confirmed(CallId id);
  // Shutting down: new INVITEs get 503; every group created here closes, every call ends.
  void end_all(const std::string& why);

  // For MediaSync: 706 arrived (the master's 200, 708 forwarding, the audience).
  void on_master_joined(Call& call);
  void end_broadcast(const std::string& group, const std::string& why, bool close_media,
                     const std::string& bye_reason = kBroadcastEndedReason);
  // 714 as the media side reports it. The media side keeps one media session per viewer number
  // (a new call's session replaces the old one), so a session is the viewer's newest call's.
  // viewer_joined (or a snapshot listing it playing): that call's media started.
  void on_viewer_playing(const std::string& group, const std::string& viewer);
  // viewer_left: when the media side ended the session on its own (viewer_media_end.hpp), the
  // answered calls whose media it was get a BYE saying why; with "replaced by a new call", the
  // viewer's calls older than its newest, never the newest.
  void on_viewer_media_ended(const std::string& group, const std::string& viewer,
                             const std::string& reason);
  // A live group of the media side that no call here knows (a broadcast of before a restart of
  // this process, or one whose master's dialog is on another signaling node): a master call
  // without a dialog (Call::restored), so that viewers are admitted to it as to any broadcast
  // and its end, which only the media side's events can tell, ends their calls. `adopted`: its
  // master's dialog is on another node (Call::adopted), not one of before this process started.
  void restore_broadcast(const control::GroupSnapshot& group, bool adopted);

 private:
  // Why an offer to the service number cannot start a broadcast (488), empty when it can: a
  // viewer's recvonly offer, or an offer without iptv_rtsp (a phone's audio/video).
  std::string refuse_at_service_number(std::string_view offer) const;
  void start_broadcast(StackHandle handle, const SipRequest& request, const std::string& master);
  void start_viewer_call(StackHandle handle, const SipRequest& request, const std::string& viewer,
                         const std::string& dialled);
  // The media side's answers, for a call still in the table (the completions look it up).
  void on_group_created(Call& call, Result<control::GroupCreated, control::ControlError> result);
  // 704-705 for a phone (issue 13): the recvonly answer planned from its offer and the group's
  // RTP address, the media side set up to receive its RTP; the 200 follows at 706.
  void start_phone_broadcast(Call& call, const control::GroupCreated& created);
  // Where a phone's media is: its SDP's address, or for a phone behind a NAT where its SIP came
  // from.
  std::string media_host_of(const Call& call, const std::string& sdp_host) const;
  // 704-707 for a browser (WHIP, issue 14): the media side answers its offer and takes its media
  // as the group's publisher; the 200 (the WHIP 201) carries that answer once 706 came too.
  void start_browser_broadcast(Call& call);
  // A phone's broadcast that cannot start after its group was made: 488, the group closed.
  void fail_phone_broadcast(Call& call, const std::string& why);
  // For a viewer's call to a number without a broadcast here: true when the media side's
  // answer shows its group live, which restore_broadcast then makes a broadcast of this node.
  bool adopt_broadcast(const std::string& group,
                       const Result<control::GroupSnapshot, control::ControlError>& found);
  // 711-712: the media side admits the call's viewer to its group.
  void admit_viewer(Call& admitting);
  void on_viewer_admitted(Call& call,
                          Result<control::ViewerAdmitted, control::ControlError> result);
  // 713-714 for a phone (issue 13): the answer planned from its offer and the group's tracks, the
  // 200 with the answer SDP, and at its ACK the media side started to the phone's routes.
  void answer_phone(Call& call, const control::ViewerAdmitted& admitted);
  // 713-714 for a browser (issue 14): the media side answers its WebRTC offer; the 200 (the
  // WHEP 201) carries that answer, and its media starts once ICE and DTLS are done.
  void answer_browser(Call& call);
  void on_phone_viewer_started(Call& call,
                               Result<control::PhoneViewerStarted, control::ControlError> result);
  void on_join_timeout(CallId id);
  // After a viewer's 200: its media must start within sip.viewer_media_start_timeout_s.
  void expect_viewer_media(Call& call);
  void on_media_start_timeout(CallId id);
  // The newest call of `viewer` to `group` that holds its admission and is not ending.
  Call* newest_viewer_call(const std::string& group, const std::string& viewer);
  // 708 by the network side itself (sip.auto_forwarding): a master's number without a rule of
  // its own forwards to the service number.
  void set_master_forwarding(const Call& call);
  // The Call-Info value naming the Ut server for this master's terminal, empty when unknown.
  std::string ut_call_info(const Call& call) const;
  void answer(Call& call, int status, const char* phrase);
  // Every response to an INVITE goes here: a final one is counted by kind and status (metrics).
  void respond_invite(StackHandle handle, const SipAnswer& answer, SipMetrics::InviteKind kind);
  void fail_call(Call& call, int status, const char* phrase, const std::string& warning,
                 int retry_after_s = 0);
  void hang_up(Call& call, const std::string& why,
               const std::string& bye_reason = kBroadcastEndedReason);
  // The final answer for a media side that refused (702 create_group, 711 admit_viewer).
  void fail_for_media_error(Call& call, const control::ControlError& error);
  void release_media(const Call& call);
  // A viewer's admission (or phone media) that completed after its dialog was gone: undone,
  // unless another dialog of the same viewer still holds it (release_media's rule).
  void release_viewer_admission(const std::string& group, const std::string& viewer);
  // The new call, in the table (a reference valid while it stays there).
  Call& add_call(StackHandle handle, CallRole role, const std::string& caller,
                 const std::string& group, const SipRequest& request);
  long long elapsed_ms(core::SteadyClock::time_point since) const;
  // Wraps a media-side completion so that it runs on the SIP thread.
  template <class T>
  control::Done<T> on_loop(std::function<void(Result<T, control::ControlError>)> handler);

  const core::SipConfig& config_;
  CallTable& table_;
  SignalingStats& counters_;
  Services services_;
  core::HostPort bound_{"", 0};
  std::string ut_public_url_;
  core::HostPort http_listen_{"", 0};
  bool stopping_ = false;
};

template <class T>
control::Done<T> CallController::on_loop(
    std::function<void(Result<T, control::ControlError>)> handler) {
  return [post = services_.post,
          handler = std::move(handler)](Result<T, control::ControlError> result) {
    post([handler, result = std::move(result)]() mutable { handler(std::move(result)); });
  };
}

}  // namespace callcast::sip
