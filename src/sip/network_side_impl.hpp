#pragma once
// NetworkSide's state, shared by network_side.cpp (stack, registrar, authentication) and
// network_side_calls.cpp (broadcast and viewer calls). Everything here runs on the SIP thread.
#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_alloc.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sip/audience_pacer.hpp"
#include "sip/network_side.hpp"

namespace callcast::sip {

using CallId = std::uint64_t;

// The Reason header (RFC 3326) of the BYEs that end a broadcast's calls.
inline const std::string kBroadcastEndedReason = "SIP;cause=200;text=\"broadcast ended\"";
inline const std::string kMediaRestartedReason =
    "SIP;cause=503;text=\"the streaming server restarted\"";

enum class CallRole { master, viewer };
enum class CallState {
  setting_up,  // waiting for the media side (create_group / admit_viewer)
  early,       // master: 183 sent, waiting for master_joined (706)
  answered,    // 200 sent
  ending,      // final error sent or BYE sent; waiting for the stack to terminate the handle
};

struct Call {
  CallId id = 0;
  CallRole role = CallRole::master;
  CallState state = CallState::setting_up;
  nua_handle_t* handle = nullptr;
  std::string caller;       // the authenticated number
  std::string group;        // the master's number
  bool tcp = false;         // the INVITE came over TCP: our Contact says so
  std::string offer;        // the INVITE's SDP, may be empty
  std::string sdp;          // what 183 / 200 carry
  bool media_done = false;  // the group was created / the viewer admitted on the media side
  SipLoop::TimerId join_timer = 0;
  std::chrono::steady_clock::time_point invited_at;
  // Master: rebuilt after a restart of this process from the media side's live group. It has
  // no SIP dialog here (sofia's nua cannot take one over: an in-dialog request it does not know
  // gets 481 from the stack itself), so nothing is ever sent to it; the media side's events end
  // it (see on_resync).
  bool restored = false;
  // The host of the INVITE's Request-URI: how the terminal reached us (for the Ut URL).
  std::string reached_host;
  // Master: its INVITE carried Recv-Info: callcast-audience (RFC 6086), so it hears its
  // audience in INFO requests, paced by `audience`.
  bool takes_audience = false;
  AudiencePacer audience;
  SipLoop::TimerId audience_timer = 0;
};

struct NetworkSide::Impl {
  Impl(core::SipConfig c, control::MediaControl& m, forwarding::ForwardingStore& f,
       auth::UserDirectory& u, const auth::DigestAuthenticator& a)
      : config(std::move(c)),
        media(m),
        forwarding(f),
        users(u),
        authenticator(a),
        registrar(RegistrarLimits{config.max_registrations, config.max_contacts_per_user,
                                  config.min_expires, config.max_expires, config.max_expires}) {}

  core::SipConfig config;
  control::MediaControl& media;
  forwarding::ForwardingStore& forwarding;
  auth::UserDirectory& users;
  const auth::DigestAuthenticator& authenticator;
  Registrar registrar;
  // Shared with the callbacks handed to the media side, which may run after this is gone: a
  // stopped loop drops what is posted to it.
  std::shared_ptr<SipLoop> loop = std::make_shared<SipLoop>();
  nua_t* nua = nullptr;
  su_home_t home[1] = {SU_HOME_INIT(home)};
  core::HostPort bound;
  bool stopping = false;

  std::map<CallId, Call> calls;
  std::map<std::string, CallId, std::less<>> broadcasts;  // group -> master call
  CallId next_call = 1;
  // Viewers playing each group (the media side's viewer_joined / viewer_left, or its snapshot
  // for a restored broadcast): the audience told to the master. RTSP-only viewers count too.
  std::map<std::string, std::set<std::string>, std::less<>> playing;
  // Viewers of a restored broadcast admitted before this process started: their dialogs are
  // unknown here (their BYE gets 481), so their admission is revoked when their media stops.
  std::map<std::string, std::set<std::string>, std::less<>> restored_viewers;
  // The Ut server told to masters in Call-Info (set_ut_endpoint).
  std::string ut_public_url;
  core::HostPort http_listen{"", 0};
  SignalingStats counters;
  // Set while an INVITE's final response may be sent (on_invite, fail_call): respond() then
  // counts it in counters.metrics under this kind.
  std::optional<SipMetrics::InviteKind> answering_invite;
  // A final answer to `call`'s INVITE is sent: counted by kind, a 2xx's set-up time observed.
  void count_answer(const Call& call, int status);
  SipLoop::TimerId sweep_timer = 0;

  // network_side.cpp
  void on_event(nua_event_t event, int status, const char* phrase, nua_handle_t* nh, CallId call,
                const sip_t* sip, tagi_t tags[]);
  std::optional<std::string> authenticate(nua_handle_t* nh, const sip_t* sip, const char* method,
                                          bool with_this);
  void on_register(nua_handle_t* nh, const sip_t* sip);
  void respond(nua_handle_t* nh, int status, const char* phrase, const std::string& warning = {},
               bool with_this = false, int retry_after_s = 0);
  void schedule_sweep();

  // network_side_calls.cpp
  void on_invite(nua_handle_t* nh, const sip_t* sip);
  // Why an offer to the service number cannot start a broadcast (488), empty when it can: a
  // viewer's recvonly offer, or an offer without iptv_rtsp (a phone's audio/video).
  std::string refuse_at_service_number(std::string_view offer) const;
  void start_broadcast(nua_handle_t* nh, const sip_t* sip, const std::string& master);
  void start_viewer_call(nua_handle_t* nh, const sip_t* sip, const std::string& viewer,
                         const std::string& dialled);
  void on_group_created(CallId id, Result<control::GroupCreated, control::ControlError> result);
  void on_viewer_admitted(CallId id, Result<control::ViewerAdmitted, control::ControlError> result);
  void on_media_event(const core::GroupEvent& event);
  void on_resync(const std::vector<control::GroupSnapshot>& groups, control::ResyncCause cause);
  // A live group of the media side that no call here knows: a broadcast of before a restart.
  void restore_broadcast(const control::GroupSnapshot& group);
  // The Call-Info value naming the Ut server for this master's terminal, empty when unknown.
  std::string ut_call_info(const Call& call) const;
  // 708 by the network side itself: the master's number forwards to the service number.
  void set_master_forwarding(const Call& call);
  void on_audience_changed(const std::string& group);
  void audience_act(CallId id, const AudiencePacer::Action& action);
  void on_info_answered(CallId id, int status);
  void on_join_timeout(CallId id);
  void on_call_ended(CallId id, const char* why);  // BYE/CANCEL received or handle terminated
  void end_broadcast(const std::string& group, const std::string& why, bool close_media,
                     const std::string& bye_reason = kBroadcastEndedReason);
  void answer(Call& call, int status, const char* phrase);
  void fail_call(Call& call, int status, const char* phrase, const std::string& warning,
                 int retry_after_s = 0);
  void hang_up(Call& call, const std::string& why,
               const std::string& bye_reason = kBroadcastEndedReason);
  // The final answer for a media side that refused (702 create_group, 711 admit_viewer).
  void fail_for_media_error(Call& call, const control::ControlError& error);
  void release_media(const Call& call);
  Call* find(CallId id);
  CallId add_call(nua_handle_t* nh, CallRole role, const std::string& caller,
                  const std::string& group, const sip_t* sip);
  // Wraps a media-side completion so that it runs on the SIP thread.
  template <class T>
  control::Done<T> on_loop(std::function<void(Result<T, control::ControlError>)> handler);
};

template <class T>
control::Done<T> NetworkSide::Impl::on_loop(
    std::function<void(Result<T, control::ControlError>)> handler) {
  return [loop = loop, handler = std::move(handler)](Result<T, control::ControlError> result) {
    loop->post([handler, result = std::move(result)]() mutable { handler(std::move(result)); });
  };
}

// A datagram that ended before the body its Content-Length announces: sofia parses it with the
// body cut short, but RFC 3261 §18.3 asks for 400 (over TCP the stack waits for the whole body).
bool body_cut_short(const sip_t* sip);

}  // namespace callcast::sip
