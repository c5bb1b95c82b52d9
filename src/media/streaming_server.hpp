#pragma once
// The streaming server of the patent (modules 601-608): temporary groups, the master's RTSP
// publish over TCP (705), viewers' RTSP play over UDP (709, 714), and the control operations the
// network side calls (702-703, 711-712). Everything runs on one asio event loop; other threads
// reach it through MediaService, which posts onto that loop.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control/media_control.hpp"
#include "core/config.hpp"
#include "core/group_registry.hpp"
#include "core/token.hpp"
#include "media/datagram_transmitter.hpp"
#include "media/fanout_engine.hpp"
#include "media/group_media.hpp"
#include "media/media_metrics.hpp"
#include "media/rtsp_connection.hpp"
#include "media/udp_media_ports.hpp"
#include "stats/exposition.hpp"

namespace callcast::media {

// Where the server actually listens once started (ports chosen by the OS when configured as 0).
struct BoundAddresses {
  core::HostPort rtsp;
  core::PortPair rtp_ports;
};

class StreamingServer final : public RtspConnectionHandler, private core::GroupEventSink {
 public:
  using EventListener = std::function<void(const core::GroupEvent&)>;

  StreamingServer(boost::asio::io_context& io, core::MediaConfig config, std::string token_secret);
  ~StreamingServer() override;

  Result<BoundAddresses, std::string> start();
  void stop();
  void add_listener(EventListener listener) { listeners_.push_back(std::move(listener)); }

  // Control operations (the patent's notifications), on the event loop.
  Result<control::GroupCreated, control::ControlError> create_group(const std::string& master);
  Result<control::ViewerAdmitted, control::ControlError> admit_viewer(const std::string& group,
                                                                      const std::string& viewer);
  Result<bool, control::ControlError> remove_viewer(const std::string& group,
                                                    const std::string& viewer);
  // `master_lost`: the master's media is gone for good (emits master_lost before group_closed).
  Result<bool, control::ControlError> close_group(const std::string& group,
                                                  const std::string& reason,
                                                  bool master_lost = false);
  std::vector<control::GroupSnapshot> snapshots() const;
  Result<control::GroupSnapshot, control::ControlError> snapshot(const std::string& group) const;

  // RtspConnectionHandler
  void on_request(RtspConnection& connection, rtsp::RtspRequest request) override;
  void on_interleaved(RtspConnection& connection, std::uint8_t channel,
                      rtp::Bytes payload) override;
  void on_bad_message(RtspConnection& connection, int status, const std::string& why) override;
  void on_closed(RtspConnection& connection, const std::string& reason) override;
  void on_read_done(RtspConnection& connection) override;

  struct Counters {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_refused = 0;
    std::uint64_t bad_requests = 0;
    std::uint64_t unauthorized = 0;
    std::uint64_t wrong_channel_packets = 0;
    std::uint64_t malformed_rtp = 0;
    std::uint64_t unknown_udp_datagrams = 0;
    std::uint64_t sessions_timed_out = 0;
    // Requests naming a session they may not use (another terminal's, another role's, a TCP
    // session from another connection): answered 454 as if the id did not exist.
    std::uint64_t foreign_session_requests = 0;
    // Symmetric RTP: viewer destinations learnt from datagrams that came from another port than
    // SETUP said (a NAT), and datagrams that could belong to several viewers (ignored).
    std::uint64_t udp_destinations_latched = 0;
    std::uint64_t udp_latch_ambiguous = 0;
  };
  const Counters& counters() const { return counters_; }
  // GET /metrics: this server's series (streaming_server_metrics.cpp). On the event loop.
  void expose_metrics(stats::Exposition& out) const;
  // The fan-out workers' totals (nullptr before start()).
  const FanoutEngine* fanout() const { return fanout_.get(); }

 private:
  enum class SessionKind { publisher, viewer };
  struct Session {
    std::string id;
    SessionKind kind = SessionKind::viewer;
    std::string group;
    std::string terminal;  // its owner: the terminal named by the token that created it
    std::weak_ptr<RtspConnection> connection;
    std::uint64_t connection_id = 0;
    bool udp = false;               // media on UDP ports; false: interleaved on its own connection
    boost::asio::ip::address peer;  // the RTSP peer that created it (a NAT's public address)
    Clock::time_point last_activity{};
    Clock::time_point started{};
    // Publisher only.
    std::vector<TrackDescription> tracks;
    sdp::SessionDescription announced;
    bool recording = false;
    std::uint64_t wrong_channel_packets = 0;
    // Interleaved channel -> track*2 (+1 for RTCP); -1 none. Publishers only (256 entries):
    // a viewer's session stays small, there are thousands of them.
    std::vector<std::int8_t> channel_track;
    std::array<bool, kMaxTracks> track_set_up{};
    std::vector<UdpEndpoint> udp_rtp_from;  // publishers only (kMaxTracks entries)
    std::vector<UdpEndpoint> udp_rtcp_from;
  };
  struct PendingAnnounce {
    std::string group;
    std::string terminal;
    sdp::SessionDescription sdp;
    std::vector<TrackDescription> tracks;
  };
  struct UdpRoute {
    std::string session;
    std::size_t track = 0;
  };
  struct Reply;            // a response being built (streaming_server_rtsp.cpp)
  struct TransportChoice;  // the Transport alternative a SETUP is served with

  // streaming_server_rtsp.cpp: one handler per RTSP method.
  void handle_options(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_announce(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_describe(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_setup(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_record(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_play(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_pause(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_teardown(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  void handle_keepalive(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply);
  struct Authorized;
  // A request that starts something (no Session header): a fresh token for `role`.
  // The request URL's group and token, the token's signature checked (not its expiry).
  std::optional<Authorized> signed_url(const rtsp::RtspRequest& r, Reply& reply);
  // Whether an expired publish token may still bring its master back (see the definition).
  bool master_may_return_with(const core::TokenClaims& claims) const;
  std::optional<Authorized> authorize(const rtsp::RtspRequest& r, core::TokenRole role,
                                      Reply& reply);
  // What a request does with the session it names: `keep_alive` (OPTIONS, GET_PARAMETER,
  // SET_PARAMETER, PAUSE, TEARDOWN) may carry an expired token on the session's own connection;
  // `start` (SETUP, PLAY, RECORD) always needs a fresh one.
  enum class SessionUse { keep_alive, start };
  struct InSession;
  // The session a request names, if the request may use it: its token names the session's
  // owner terminal, group and role, and the request comes on the session's own connection or,
  // for a UDP session, with a fresh token (players reconnect). Otherwise 454 exactly as for an
  // unknown id (ids travel in clear RTSP), or 401 for a bad token. Refreshes the session.
  std::optional<InSession> authorize_in_session(RtspConnection& c, const rtsp::RtspRequest& r,
                                                SessionUse use, Reply& reply);
  // The media of the group an admitted viewer may play (403 not admitted, 404 not live yet).
  GroupMedia* playable_media(const Authorized& auth, Reply& reply);
  // The group's master announces on `c` while an older connection of its still publishes: that
  // one is closed. False when there is none to replace.
  bool take_over_publisher(RtspConnection& c, const std::string& group);
  void setup_publisher_track(RtspConnection& c, Session& s, std::size_t track,
                             const TransportChoice& t, Reply& reply);
  void setup_viewer_track(RtspConnection& c, Session& s, std::size_t track,
                          const TransportChoice& t, Reply& reply);

  // streaming_server_latching.cpp: symmetric RTP (RFC 4961) for UDP viewers behind NATs.
  // A datagram from a known route confirms that track's destinations (no NAT, or one that kept
  // the ports); one from an unknown port of a viewer's address may latch that viewer's track.
  void confirm_latched(Session& s, Viewer& viewer, std::size_t track, bool rtcp,
                       const UdpEndpoint& from);
  // True when `from` was latched to a viewer's track (a route now exists for it).
  bool latch(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);
  void remember_unlatched(const Session& s);
  void forget_unlatched(const Session& s);

  // streaming_server.cpp
  void accept();
  void on_udp(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);
  void sweep();
  void schedule_pacing();
  void close_session(const std::string& id, const std::string& reason, bool send_bye);
  void publisher_gone(const std::string& group, const std::string& reason);
  // Stall detection (708): a publisher's media came back, resp. stayed away past the grace.
  void report_resumption(const std::string& group, const PublisherResumption& resumption);
  void publisher_stalled_out(const std::string& group, Clock::duration silent);
  GroupMediaLimits media_limits() const;
  Session* find_session(std::string_view id);
  // A PAUSE or TEARDOWN naming the session this very connection tore down last: a stopping
  // client's requests may cross (rtspclientsink sends its PAUSE after its TEARDOWN at times), so
  // they are answered 200 with nothing left to do.
  bool ended_on_this_connection(const RtspConnection& c, const rtsp::RtspRequest& r) const;
  std::string new_session_id();
  std::string url_for(const std::string& group, const std::string& token,
                      const std::string& control = {}) const;
  std::string public_host() const;
  void on_group_event(const core::GroupEvent& event) override;
  control::GroupSnapshot make_snapshot(const core::Group& group) const;

  boost::asio::io_context& io_;
  core::MediaConfig config_;
  core::TokenSigner tokens_;
  core::GroupRegistry registry_;
  UdpMediaPorts udp_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer pacing_timer_;
  bool pacing_ = false;
  bool trim_pending_ = false;  // backlogs were drained since the last malloc_trim
  bool stopped_ = false;
  BoundAddresses bound_;
  // Declared before media_: every GroupMedia uses the engine until it is destroyed.
  std::unique_ptr<SocketTransmitter> transmitter_;
  std::unique_ptr<FanoutEngine> fanout_;
  MediaMetrics metrics_;  // declared before media_: every GroupMedia reports to it until destroyed

  std::map<std::string, std::unique_ptr<GroupMedia>, std::less<>> media_;
  std::map<std::string, Session, std::less<>> sessions_;
  std::map<std::uint64_t, std::shared_ptr<RtspConnection>> connections_;
  std::map<std::uint64_t, PendingAnnounce> pending_announces_;
  std::map<std::uint64_t, std::string> publisher_of_connection_;  // the per-packet lookup
  std::map<std::uint64_t, std::string> torn_down_;  // connection -> session it tore down last
  std::map<UdpEndpoint, UdpRoute> udp_routes_;
  // UDP viewer sessions with a track not latched yet, by RTSP peer address: the only sessions a
  // datagram from an unknown port may latch (consulted on a route miss, never per relayed packet).
  std::multimap<boost::asio::ip::address, std::string> unlatched_;
  std::map<std::string, Clock::time_point, std::less<>> grace_deadlines_;  // group -> deadline
  std::string closing_group_;  // set while close_group() ends the sessions of that group
  std::vector<EventListener> listeners_;
  std::uint64_t next_connection_id_ = 1;
  std::uint32_t ssrc_seed_;
  Counters counters_;
};

}  // namespace callcast::media
