#pragma once
// The network side's logic without its SIP stack: what NetworkSide runs on the SIP thread over
// SofiaSipStack, and what the unit tests drive over a fake SipStack, a fake MediaControl and
// simulated time. It takes the stack's events (SipStackEvents) and the media side's, and owns
// the registrar, the calls and their counters. SIP thread only.
#include <memory>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "control/media_control.hpp"
#include "control/resync_cause.hpp"
#include "core/config.hpp"
#include "core/time_source.hpp"
#include "forwarding/forwarding_rules.hpp"
#include "sip/audience_reporter.hpp"
#include "sip/call_controller.hpp"
#include "sip/call_table.hpp"
#include "sip/media_sync.hpp"
#include "sip/register_handler.hpp"
#include "sip/registrar.hpp"
#include "sip/request_authenticator.hpp"
#include "sip/signaling_stats.hpp"
#include "sip/sip_stack_events.hpp"

namespace callcast::sip {

class SignalingCore final : public SipStackEvents {
 public:
  struct Dependencies {
    control::MediaControl& media;
    forwarding::ForwardingRules& forwarding;
    auth::UserDirectory& users;
    const auth::DigestAuthenticator& authenticator;
    SipStack& stack;
    const core::TimeSource& time;
    core::TimerFactory& timers;
    // Runs a task on the SIP thread later (the media side's completions come back through it).
    CallController::Post post;
    // Where registrations are kept; null: in this process's memory (a Registrar of its own).
    RegistrationStore* registrations = nullptr;
    // One of a cluster's signaling nodes (issue 15): the media side's groups may be other
    // nodes' broadcasts (NetworkSide::join_cluster).
    bool cluster_node = false;
  };

  SignalingCore(core::SipConfig config, Dependencies dependencies);
  SignalingCore(const SignalingCore&) = delete;
  SignalingCore& operator=(const SignalingCore&) = delete;

  // Once the stack is bound: our address (for Contact), and the registrar's periodic sweep.
  void start(core::HostPort bound);
  void set_ut_endpoint(std::string public_url, core::HostPort http_listen);

  void on_invite(StackHandle handle, const SipRequest& request) override;
  void on_register(StackHandle handle, const SipRequest& request) override;
  void on_call_ended(CallId call, const char* why) override;
  void on_call_confirmed(CallId call) override;
  void on_info_answered(CallId call, int status) override;

  void on_media_event(const core::GroupEvent& event) { media_sync_.on_media_event(event); }
  void on_resync(const std::vector<control::GroupSnapshot>& groups, control::ResyncCause cause) {
    media_sync_.on_resync(groups, cause);
  }
  // Ends every call and every group created here; later INVITEs get 503.
  void stop(const std::string& why);
  SignalingStats stats();

  const core::SipConfig& config() const { return config_; }

 private:
  core::SipConfig config_;
  Dependencies deps_;
  Registrar local_registrar_;
  RegistrationStore& registrar_;
  CallTable table_;
  SignalingStats counters_;
  RequestAuthenticator authenticator_;
  RegisterHandler register_handler_;
  AudienceReporter audience_;
  CallController calls_;
  MediaSync media_sync_;
  std::unique_ptr<core::Timer> sweep_timer_;
};

}  // namespace callcast::sip
