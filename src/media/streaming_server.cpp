#include "media/streaming_server.hpp"

#include <malloc.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "media/publisher_session.hpp"
#include "media/viewer.hpp"
#include "media/viewer_session.hpp"

namespace callcast::media {

namespace {

// The CPUs this process may run on (taskset), not the machine's: one fan-out worker per core.
std::size_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

constexpr auto kSweepInterval = std::chrono::milliseconds(500);
constexpr auto kPacingInterval = std::chrono::milliseconds(5);

}  // namespace

StreamingServer::StreamingServer(boost::asio::io_context& io, core::MediaConfig config,
                                 std::string token_secret, const core::TimeSource& time,
                                 core::TimerFactory& timers)
    : config_(std::move(config)),
      time_(time),
      routes_(counters_),
      directory_(config_, time, std::move(token_secret), counters_, sessions_, routes_),
      context_{config_, time,       counters_, sessions_,
               routes_, directory_, bound_,    [this] { schedule_pacing(); }},
      udp_(io, [this](bool rtcp, const UdpEndpoint& from,
                      rtp::Bytes data) { on_udp(rtcp, from, data); }),
      rtsp_(io, context_),
      phones_(context_),
      phone_publishers_(context_),
      webrtc_(context_),
      edges_(io, context_),
      sweep_timer_(timers.create_timer([this] { sweep(); })),
      pacing_timer_(timers.create_timer([this] { pace(); })) {
  directory_.on_group_closing([this](const std::string& group) {
    rtsp_.forget_group(group);
    edges_.forget(group);
  });
  directory_.set_metrics(metrics_);
}

StreamingServer::~StreamingServer() {
  stop();
}

Result<BoundAddresses, std::string> StreamingServer::start() {
  auto port = rtsp_.listen();
  if (!port) return fail(port.error());
  auto ports = udp_.open(config_.rtsp.host, config_.rtp_ports);
  if (!ports) return fail(ports.error());
  bound_.rtsp = {config_.rtsp.host, *port};
  bound_.rtp_ports = *ports;
  transmitter_ = std::make_unique<SocketTransmitter>(udp_.rtp_fd());
  const std::size_t workers = config_.workers != 0 ? config_.workers : usable_cores();
  fanout_ = std::make_unique<FanoutEngine>(
      FanoutOptions{.workers = workers, .gso = config_.udp_gso}, *transmitter_);
  directory_.start(udp_.rtcp_transmitter(), *fanout_, bound_);
  webrtc_.start(udp_.rtp_transmitter());
  sweep();
  spdlog::info("media: RTSP on {}, RTP/RTCP on UDP {}-{}, {} fan-out worker(s)",
               core::to_string(bound_.rtsp), bound_.rtp_ports.rtp, bound_.rtp_ports.rtcp, workers);
  return bound_;
}

void StreamingServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  sweep_timer_->disable();
  pacing_timer_->disable();
  // Closing the connections ends their sessions; then the groups' media goes. The workers send
  // on the RTP socket: they stop before it closes (its number could be reused).
  rtsp_.stop();
  edges_.stop();
  webrtc_.stop();  // close_notify to every browser while the socket is open
  directory_.stop();
  if (fanout_) {
    const FanoutStats stats = fanout_->stats();
    spdlog::info(
        "media: fan-out sent {} datagrams in {} messages ({} with GSO) over {} send calls, "
        "{} batches; {} failed, {} GSO refusals, {} batches dropped for a full worker queue",
        stats.datagrams, stats.messages, stats.gso_messages, stats.send_calls, stats.batches,
        stats.failed_messages, stats.gso_failures, fanout_->batches_dropped());
  }
  fanout_.reset();
  udp_.close();
}

// ---- UDP: publishers' RTP over UDP, viewers' RTCP -----------------------------------------------

void StreamingServer::on_udp(bool rtcp, const UdpEndpoint& from, rtp::Bytes data) {
  // RTCP multiplexed on the RTP port (RFC 5761 §4, phones answered with rtcp-mux): its packet type
  // (200-204, feedback 205-206) sits where RTP has its marker bit and payload type, which for
  // RTP is never 64-95 (dynamic types are 96-127).
  if (!rtcp && data.size() >= 2 && data[1] >= 192 && data[1] <= 223) rtcp = true;
  // Browsers (issue 14) share the RTP port: STUN (first byte 0-3) and DTLS (20-63) are theirs
  // (RFC 7983); RTP and RTCP start with version 2 (128-191).
  if (!data.empty() && data[0] < 64) return webrtc_.on_datagram(from, data, time_.now());
  const UdpRoute* route = routes_.find(from);
  if (route == nullptr) {
    // Maybe a viewer behind a NAT, from its mapped port: latching adds the route.
    if (!routes_.latch(rtcp, from, data) || (route = routes_.find(from)) == nullptr) {
      ++counters_.unknown_udp_datagrams;
      return;
    }
  }
  const auto now = time_.now();
  if (route->session->kind() == SessionKind::publisher) {
    auto& publisher = static_cast<PublisherSession&>(*route->session);
    std::size_t track = route->track;
    if (publisher.webrtc) {
      // A browser's SRTP (issue 14): unprotected first; its payload type names the track.
      const auto opened = webrtc_.open_publisher_packet(publisher, rtcp, data);
      if (!opened) return;
      track = opened->track;
      data = opened->bytes;
    }
    GroupMedia* media = publisher.media();
    if (media == nullptr) {
      // Not recording yet: nothing to feed, but the peer is alive.
      publisher.last_activity = now;
      return;
    }
    if (!publisher.receive(track, rtcp, data, now)) ++counters_.malformed_rtp;
    media->flush();
    if (media->has_backlog()) schedule_pacing();
    directory_.publisher_input_done(*media);  // may close the group
    return;
  }
  auto& viewer = static_cast<ViewerSession&>(*route->session);
  viewer.last_activity = now;
  viewer.viewer().last_heard = now;
  if (viewer.viewer().kind == ViewerKind::browser) return webrtc_.on_srtp(viewer, data, now);
  routes_.confirm_latched(viewer, route->track, rtcp, from);
  // RTP from a viewer is only its NAT keep-alive; RTCP carries its reception report.
  if (rtcp) viewer.receive_rtcp(route->track, data, now);
}

// ---- timers -------------------------------------------------------------------------------------

void StreamingServer::schedule_pacing() {
  if (pacing_timer_->enabled() || stopped_) return;
  pacing_timer_->enable(kPacingInterval);
}

void StreamingServer::pace() {
  if (stopped_) return;
  if (directory_.pace()) {
    schedule_pacing();
  } else {
    trim_pending_ = true;
  }
}

void StreamingServer::sweep() {
  const auto now = time_.now();
  close_silent_sessions(now);
  // Connections that hold no session and said nothing for the idle timeout.
  rtsp_.close_idle(now);
  edges_.sweep(now);  // before the directory's stall handling, which would end them as masters
  directory_.sweep(now);
  webrtc_.sweep(now);
  if (trim_pending_ && !pacing_timer_->enabled()) {
    // Viewers that caught up freed their backlogs (a join storm's worth of GOP copies): hand the
    // free pages back, so that the server's memory follows its viewers.
    trim_pending_ = false;
    malloc_trim(0);
  }
  if (!stopped_) sweep_timer_->enable(kSweepInterval);
}

std::vector<control::GroupSnapshot> StreamingServer::snapshots() const {
  std::vector<control::GroupSnapshot> out = directory_.snapshots();
  for (auto& snapshot : out)
    snapshot.origin_url = edges_.origin_of(snapshot.group);
  return out;
}

Result<control::GroupSnapshot, control::ControlError> StreamingServer::snapshot(
    const std::string& group) const {
  auto out = directory_.snapshot(group);
  if (out) out->origin_url = edges_.origin_of(group);
  return out;
}

void StreamingServer::close_silent_sessions(Clock::time_point now) {
  // Sessions whose peer went silent (no RTSP, no RTCP, no media) for the session timeout.
  std::vector<std::string> expired;
  for (const auto& [id, session] : sessions_.all()) {
    auto last = session->last_activity;
    if (session->kind() == SessionKind::viewer) {
      last = std::max(last, static_cast<const ViewerSession&>(*session).viewer().last_heard);
    }
    if (now - last > config_.session_timeout) expired.push_back(id);
  }
  for (const auto& id : expired) {
    Session* s = sessions_.find(id);
    ++counters_.sessions_timed_out;
    if (s == nullptr) continue;
    spdlog::warn("group={} terminal={} step=714 session {} timed out after {} s of silence",
                 s->group(), s->terminal(), id, config_.session_timeout.count());
    auto connection = s->connection.lock();
    directory_.close_session(id, "timeout", true);
    if (connection) connection->close("session timeout");
  }
}

}  // namespace callcast::media
