#pragma once
// The groups of the streaming server (modules 601-603): the registry of temporary groups, the
// tokens that open them, each live group's media (GroupMedia, the relay) and what happens to a
// group over time: control operations (702-703, 711-712), a master lost or stalled (708-709),
// admissions that lapse, snapshots and events. Runs on the media loop.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "control/media_control.hpp"
#include "core/group_registry.hpp"
#include "core/token.hpp"
#include "media/group_media.hpp"
#include "media/media_metrics.hpp"
#include "media/server_context.hpp"

namespace callcast::media {

class PublisherSession;

class GroupDirectory final : private core::GroupEventSink {
 public:
  using EventListener = std::function<void(const core::GroupEvent&)>;

  GroupDirectory(const core::MediaConfig& config, const core::TimeSource& time,
                 std::string token_secret, ServerCounters& counters, SessionTable& sessions,
                 UdpRouter& routes);
  ~GroupDirectory() override;
  GroupDirectory(const GroupDirectory&) = delete;
  GroupDirectory& operator=(const GroupDirectory&) = delete;

  // Media can flow once the server's ports are open; stop() ends every group's media.
  void start(DatagramTransmitter& rtcp, FanoutEngine& fanout, const BoundAddresses& bound);
  void stop();
  void add_listener(EventListener listener) { listeners_.push_back(std::move(listener)); }
  // Called with each group close_group() removes, before its registry entry goes.
  void on_group_closing(std::function<void(const std::string&)> hook) {
    group_closing_ = std::move(hook);
  }

  // Control operations (the patent's notifications).
  Result<control::GroupCreated, control::ControlError> create_group(const std::string& master);
  Result<control::ViewerAdmitted, control::ControlError> admit_viewer(const std::string& group,
                                                                      const std::string& viewer);
  Result<bool, control::ControlError> remove_viewer(const std::string& group,
                                                    const std::string& viewer);
  Result<bool, control::ControlError> close_group(const std::string& group,
                                                  const std::string& reason,
                                                  bool master_lost = false);
  std::vector<control::GroupSnapshot> snapshots() const;
  Result<control::GroupSnapshot, control::ControlError> snapshot(const std::string& group) const;

  // Ends a session: a viewer leaves its group's media (RTCP BYE when `send_bye`), a publisher's
  // connection is closed (when `send_bye`) and its grace period starts.
  void close_session(std::string id, const std::string& reason, bool send_bye);

  const core::TokenSigner& tokens() const { return tokens_; }
  // Where browsers reach this side's HTTP (issue 14: whep_url, whip_url), e.g.
  // "http://192.0.2.10:8080"; empty: none is given.
  void set_web_base_url(std::string url) { web_base_url_ = std::move(url); }
  const core::GroupRegistry& registry() const { return registry_; }
  core::GroupRegistry& registry() { return registry_; }
  GroupMedia* media(std::string_view group) const;
  // The checks before a viewer negotiated outside RTSP (a phone, a browser) gets media: the group
  // exists, the viewer is admitted, the master publishes. Its media then; else why not.
  Result<GroupMedia*, control::ControlError> admitted_viewer_media(const std::string& group,
                                                                   const std::string& viewer) const;
  // ...and before a master negotiated outside RTSP publishes: the group exists, is its own and
  // has no publisher yet.
  Result<bool, control::ControlError> may_publish(const std::string& group,
                                                  const std::string& master) const;
  // Every group's media, for the scrape of GET /metrics (StreamingServer::expose_metrics).
  const std::map<std::string, std::unique_ptr<GroupMedia>, std::less<>>& all_media() const {
    return media_;
  }
  // The GroupMedia made from now on report to `metrics` (it outlives them).
  void set_metrics(MediaMetrics& metrics) { metrics_ = &metrics; }
  // RECORD: the group's media (created for its first publisher), now fed by `publisher`.
  GroupMedia& start_recording(PublisherSession& publisher);
  // The master is back on a new connection: a full grace for its SETUP and RECORD.
  void extend_grace(const std::string& group);
  // After a publisher's packets went in: a stall that just ended is told (may close the group).
  void publisher_input_done(GroupMedia& media);
  // Whether an expired publish token may still bring its master back (see the definition).
  bool master_may_return_with(const core::TokenClaims& claims) const;

  // The periodic checks: masters lost past their grace, stalled ones (708), lapsed admissions,
  // bitrates.
  void sweep(Clock::time_point now);
  // One pacing tick over every group's catching-up viewers; true while backlog is left.
  bool pace();

  std::string url_for(const std::string& group, const std::string& token,
                      const std::string& control = {}) const;
  std::string public_host() const;
  std::int64_t unix_now() const;  // the tokens' clock

 private:
  void on_group_event(const core::GroupEvent& event) override;
  void publisher_gone(const std::string& group, const std::string& reason);
  void report_resumption(const std::string& group, const PublisherResumption& resumption);
  void publisher_stalled_out(const std::string& group, Clock::duration silent);
  void check_stalls(Clock::time_point now);
  void expire_admissions(Clock::time_point now);
  GroupMediaLimits media_limits() const;

  const core::MediaConfig& config_;
  const core::TimeSource& time_;
  core::TokenSigner tokens_;
  std::string web_base_url_;
  core::GroupRegistry registry_;
  ServerCounters& counters_;
  SessionTable& sessions_;
  UdpRouter& routes_;
  DatagramTransmitter* rtcp_ = nullptr;  // the server's RTCP port
  FanoutEngine* fanout_ = nullptr;
  const BoundAddresses* bound_ = nullptr;
  std::map<std::string, std::unique_ptr<GroupMedia>, std::less<>> media_;
  MediaMetrics* metrics_ = nullptr;
  std::map<std::string, Clock::time_point, std::less<>> grace_deadlines_;  // group -> deadline
  // (group, viewer) -> when its play token expires: past it, an admission no session uses goes.
  std::map<std::pair<std::string, std::string>, Clock::time_point> admission_deadlines_;
  std::string closing_group_;  // set while close_group() ends the sessions of that group
  std::vector<EventListener> listeners_;
  std::function<void(const std::string&)> group_closing_;
  std::uint32_t ssrc_seed_;
};

}  // namespace callcast::media
