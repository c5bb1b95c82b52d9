#pragma once
// The streaming server of the patent (modules 601-608): temporary groups, the master's RTSP
// publish over TCP (705), viewers' RTSP play over UDP (709, 714), and the control operations the
// network side calls (702-703, 711-712). Everything runs on one asio event loop; other threads
// reach it through MediaService, which posts onto that loop.
//
// It assembles its rooms: the RTSP server (connections, methods), the sessions by kind and their
// UDP routes, the group directory (registry, tokens, control operations, snapshots) and each
// group's relay (GroupMedia); it owns the UDP ports, the fan-out workers and the timers.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/media_control.hpp"
#include "core/config.hpp"
#include "core/time_source.hpp"
#include "media/datagram_transmitter.hpp"
#include "media/edge_relay.hpp"
#include "media/fanout_engine.hpp"
#include "media/group_directory.hpp"
#include "media/media_metrics.hpp"
#include "media/phone_publishers.hpp"
#include "media/phone_viewers.hpp"
#include "media/rtsp_server.hpp"
#include "media/server_context.hpp"
#include "media/server_counters.hpp"
#include "media/session_table.hpp"
#include "media/udp_media_ports.hpp"
#include "media/udp_router.hpp"
#include "media/webrtc_sessions.hpp"
#include "stats/exposition.hpp"

namespace callcast::media {

class StreamingServer final {
 public:
  using EventListener = GroupDirectory::EventListener;
  using Counters = ServerCounters;

  // `time` and `timers` drive every timeout, grace period, token check and pacing tick
  // (production: core::RealTimeSource and io::AsioTimerFactory over `io`).
  StreamingServer(boost::asio::io_context& io, core::MediaConfig config, std::string token_secret,
                  const core::TimeSource& time, core::TimerFactory& timers);
  ~StreamingServer();
  StreamingServer(const StreamingServer&) = delete;
  StreamingServer& operator=(const StreamingServer&) = delete;

  Result<BoundAddresses, std::string> start();
  void stop();
  void add_listener(EventListener listener) { directory_.add_listener(std::move(listener)); }

  // Control operations (the patent's notifications), on the event loop.
  Result<control::GroupCreated, control::ControlError> create_group(const std::string& master) {
    return directory_.create_group(master);
  }
  Result<control::ViewerAdmitted, control::ControlError> admit_viewer(const std::string& group,
                                                                      const std::string& viewer) {
    auto admitted = directory_.admit_viewer(group, viewer);
    if (admitted) edges_.viewer_admitted(group);
    return admitted;
  }
  // Issue 15: relay a group held by another node (see EdgeRelays).
  Result<control::EdgeOpened, control::ControlError> open_edge(
      const control::EdgeRequest& request) {
    return edges_.open(request);
  }
  Result<bool, control::ControlError> remove_viewer(const std::string& group,
                                                    const std::string& viewer) {
    return directory_.remove_viewer(group, viewer);
  }
  Result<control::PhoneViewerStarted, control::ControlError> start_phone_viewer(
      const control::PhoneViewerRequest& request) {
    return phones_.start(request);
  }
  Result<control::WebRtcViewerStarted, control::ControlError> start_webrtc_viewer(
      const control::WebRtcViewerRequest& request) {
    return webrtc_.start_viewer(request);
  }
  Result<control::WebRtcViewerStarted, control::ControlError> start_webrtc_publisher(
      const control::WebRtcPublisherRequest& request) {
    return webrtc_.start_publisher(request);
  }
  Result<control::PhonePublisherStarted, control::ControlError> start_phone_publisher(
      const control::PhonePublisherRequest& request) {
    return phone_publishers_.start(request);
  }
  // `master_lost`: the master's media is gone for good (emits master_lost before group_closed).
  Result<bool, control::ControlError> close_group(const std::string& group,
                                                  const std::string& reason,
                                                  bool master_lost = false) {
    return directory_.close_group(group, reason, master_lost);
  }
  std::vector<control::GroupSnapshot> snapshots() const;
  Result<control::GroupSnapshot, control::ControlError> snapshot(const std::string& group) const;

  // Issue 14: where browsers reach this side's HTTP, for the whep_url/whip_url of its answers.
  void set_web_base_url(std::string url) { directory_.set_web_base_url(std::move(url)); }
  // A token of this server's secret, checked now (the HTTP side's WHEP/WHIP by token). On the
  // media loop.
  Result<core::TokenClaims, core::TokenError> verify_token(std::string_view token) const {
    return directory_.tokens().verify(token, directory_.unix_now());
  }

  const Counters& counters() const { return counters_; }
  // GET /metrics: this server's series (streaming_server_metrics.cpp). On the event loop.
  void expose_metrics(stats::Exposition& out) const;
  // The fan-out workers' totals (nullptr before start()).
  const FanoutEngine* fanout() const { return fanout_.get(); }
  const EdgeRelays& edges() const { return edges_; }

 private:
  void on_udp(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);
  void sweep();
  void close_silent_sessions(Clock::time_point now);
  void schedule_pacing();
  void pace();

  core::MediaConfig config_;
  const core::TimeSource& time_;
  Counters counters_;
  BoundAddresses bound_;
  SessionTable sessions_;
  UdpRouter routes_;
  // Declared before directory_: every GroupMedia reports to it until destroyed.
  MediaMetrics metrics_;
  GroupDirectory directory_;
  ServerContext context_;
  UdpMediaPorts udp_;
  RtspServer rtsp_;
  PhoneViewers phones_;
  PhonePublishers phone_publishers_;
  WebRtcSessions webrtc_;
  EdgeRelays edges_;
  std::unique_ptr<core::Timer> sweep_timer_;
  std::unique_ptr<core::Timer> pacing_timer_;
  bool trim_pending_ = false;  // backlogs were drained since the last malloc_trim
  bool stopped_ = false;
  // Every GroupMedia uses the engine until it is destroyed: stop() (also run by the destructor)
  // ends the groups' media before the engine goes.
  std::unique_ptr<SocketTransmitter> transmitter_;
  std::unique_ptr<FanoutEngine> fanout_;
};

}  // namespace callcast::media
