#include "media/streaming_server.hpp"

#include <malloc.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "rtsp/group_url.hpp"

namespace callcast::media {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

control::ControlError control_error(core::RegistryError error, std::string_view subject) {
  using control::ControlErrorCode;
  using core::RegistryError;
  std::string message = std::string(subject) + ": " + std::string(core::to_string(error));
  switch (error) {
    case RegistryError::invalid_number:
      return {ControlErrorCode::bad_request, message};
    case RegistryError::group_exists:
      return {ControlErrorCode::conflict, message};
    case RegistryError::no_such_group:
    case RegistryError::no_such_viewer:
      return {ControlErrorCode::not_found, message};
    case RegistryError::too_many_groups:
    case RegistryError::group_full:
      return {ControlErrorCode::limit_reached, message};
    case RegistryError::publisher_present:
    case RegistryError::not_the_master:
      return {ControlErrorCode::conflict, message};
  }
  return {ControlErrorCode::bad_request, message};
}

// The patent step an event stands for, for the log line.
int step_of(core::GroupEventKind kind) {
  switch (kind) {
    case core::GroupEventKind::master_joined:
      return 706;
    case core::GroupEventKind::viewer_joined:
    case core::GroupEventKind::viewer_left:
      return 714;
    case core::GroupEventKind::master_lost:
      return 709;
    case core::GroupEventKind::group_closed:
      return 703;
    case core::GroupEventKind::master_stalled:
    case core::GroupEventKind::master_resumed:
      return 708;  // the master's sending (708) stopped, resp. came back
  }
  return 0;
}

std::int64_t milliseconds_of(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string endpoint_text(const UdpEndpoint& e) {
  return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + std::to_string(e.port())
                             : e.address().to_string() + ":" + std::to_string(e.port());
}

// The CPUs this process may run on (taskset), not the machine's: one fan-out worker per core.
std::size_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

StreamingServer::StreamingServer(asio::io_context& io, core::MediaConfig config,
                                 std::string token_secret)
    : io_(io),
      config_(std::move(config)),
      tokens_(token_secret.empty() ? core::TokenSigner::generate_secret()
                                   : std::move(token_secret)),
      registry_({config_.max_groups, config_.max_viewers_per_group}, *this),
      udp_(io, [this](bool rtcp, const UdpEndpoint& from,
                      rtp::Bytes data) { on_udp(rtcp, from, data); }),
      acceptor_(io),
      sweep_timer_(io),
      pacing_timer_(io),
      ssrc_seed_(std::random_device{}()) {}

StreamingServer::~StreamingServer() {
  stop();
}

Result<BoundAddresses, std::string> StreamingServer::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config_.rtsp.host, ec);
  if (ec) return fail("RTSP host must be an IP address, not '" + config_.rtsp.host + "'");
  const tcp::endpoint endpoint(address, config_.rtsp.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("cannot listen for RTSP on " + core::to_string(config_.rtsp) + ": " + ec.message());
  }
  auto ports = udp_.open(config_.rtsp.host, config_.rtp_ports);
  if (!ports) return fail(ports.error());
  bound_.rtsp = {config_.rtsp.host, acceptor_.local_endpoint().port()};
  bound_.rtp_ports = *ports;
  transmitter_ = std::make_unique<SocketTransmitter>(udp_.rtp_fd());
  const std::size_t workers = config_.workers != 0 ? config_.workers : usable_cores();
  fanout_ = std::make_unique<FanoutEngine>(
      FanoutOptions{.workers = workers, .gso = config_.udp_gso}, *transmitter_);
  accept();
  sweep();
  spdlog::info("media: RTSP on {}, RTP/RTCP on UDP {}-{}, {} fan-out worker(s)",
               core::to_string(bound_.rtsp), bound_.rtp_ports.rtp, bound_.rtp_ports.rtcp, workers);
  return bound_;
}

void StreamingServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  sweep_timer_.cancel();
  pacing_timer_.cancel();
  auto connections = connections_;
  for (auto& [id, connection] : connections)
    connection->close("server stopping", true);
  // The workers send on the RTP socket: they stop before it closes (its number could be reused).
  media_.clear();
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

void StreamingServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      if (connections_.size() >= config_.max_connections) {
        ++counters_.connections_refused;
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        ++counters_.connections_accepted;
        const auto id = next_connection_id_++;
        ConnectionLimits limits;
        limits.parser = {config_.max_rtsp_message_bytes, config_.max_rtsp_headers};
        auto connection = std::make_shared<RtspConnection>(std::move(socket), *this, limits, id);
        connections_[id] = connection;
        spdlog::debug("rtsp: connection {} from {}", id,
                      connection->remote().address().to_string());
        connection->start();
      }
    }
    accept();
  });
}

std::string StreamingServer::public_host() const {
  return config_.public_host.empty() ? config_.rtsp.host : config_.public_host;
}

std::string StreamingServer::url_for(const std::string& group, const std::string& token,
                                     const std::string& control) const {
  return rtsp::make_group_url(public_host(), bound_.rtsp.port, group, token, control);
}

std::string StreamingServer::new_session_id() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  for (;;) {
    const auto value = random();
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    if (!sessions_.contains(text)) return text;
  }
}

StreamingServer::Session* StreamingServer::find_session(std::string_view id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

// ---- control operations -----------------------------------------------------------------------

Result<control::GroupCreated, control::ControlError> StreamingServer::create_group(
    const std::string& master) {
  auto group = registry_.create_group(master, unix_now());
  if (!group) return fail(control_error(group.error(), "group " + master));
  const core::TokenClaims claims{master, core::TokenRole::publish, master,
                                 unix_now() + config_.token_ttl.count()};
  spdlog::info("group={} terminal={} step=703 group created, waiting for the master", master,
               master);
  return control::GroupCreated{master, url_for(master, tokens_.issue(claims))};
}

Result<control::ViewerAdmitted, control::ControlError> StreamingServer::admit_viewer(
    const std::string& group, const std::string& viewer) {
  auto admitted = registry_.admit_viewer(group, viewer);
  if (!admitted) return fail(control_error(admitted.error(), "group " + group));
  const core::TokenClaims claims{group, core::TokenRole::play, viewer,
                                 unix_now() + config_.token_ttl.count()};
  spdlog::info("group={} terminal={} step=712 viewer admitted", group, viewer);
  return control::ViewerAdmitted{group, viewer, url_for(group, tokens_.issue(claims))};
}

Result<bool, control::ControlError> StreamingServer::remove_viewer(const std::string& group,
                                                                   const std::string& viewer) {
  std::vector<std::string> ids;
  for (const auto& [id, session] : sessions_) {
    if (session.kind == SessionKind::viewer && session.group == group && session.terminal == viewer)
      ids.push_back(id);
  }
  for (const auto& id : ids)
    close_session(id, "removed", true);
  auto removed = registry_.remove_viewer(group, viewer, "removed");
  if (!removed) return fail(control_error(removed.error(), "viewer " + viewer));
  return true;
}

Result<bool, control::ControlError> StreamingServer::close_group(const std::string& group,
                                                                 const std::string& reason,
                                                                 bool master_lost) {
  if (!registry_.find(group)) {
    return fail(control::ControlError{control::ControlErrorCode::not_found,
                                      "group " + group + ": no_such_group"});
  }
  std::vector<std::string> ids;
  for (const auto& [id, session] : sessions_) {
    if (session.group == group) ids.push_back(id);
  }
  // Viewers get RTCP BYE (their players end), the publisher's connection is closed: on purpose,
  // so no grace period starts for it.
  closing_group_ = group;
  for (const auto& id : ids)
    close_session(id, reason, true);
  closing_group_.clear();
  for (auto it = pending_announces_.begin(); it != pending_announces_.end();) {
    it = it->second.group == group ? pending_announces_.erase(it) : std::next(it);
  }
  grace_deadlines_.erase(group);
  media_.erase(group);
  (void)registry_.close_group(group, reason, master_lost);
  return true;
}

void StreamingServer::close_session(const std::string& id, const std::string& reason,
                                    bool send_bye) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session session = std::move(it->second);
  sessions_.erase(it);
  if (auto p = publisher_of_connection_.find(session.connection_id);
      p != publisher_of_connection_.end() && p->second == id) {
    publisher_of_connection_.erase(p);
  }
  for (auto route = udp_routes_.begin(); route != udp_routes_.end();) {
    route = route->second.session == id ? udp_routes_.erase(route) : std::next(route);
  }
  forget_unlatched(session);
  if (session.kind == SessionKind::viewer) {
    auto media = media_.find(session.group);
    if (media != media_.end()) media->second->remove_viewer(id, send_bye, reason);
    (void)registry_.viewer_stopped(session.group, session.terminal, reason);
    return;
  }
  // The publisher.
  if (auto connection = session.connection.lock(); connection && send_bye) {
    connection->close(reason);
  }
  if (session.recording) publisher_gone(session.group, reason);
}

GroupMediaLimits StreamingServer::media_limits() const {
  GroupMediaLimits limits;
  limits.stall_after = config_.publisher_stall;
  // In the clock's own units: whole seconds would make half of 1 s zero.
  limits.stale_lag = std::chrono::duration_cast<Clock::duration>(config_.publisher_stall) / 2;
  return limits;
}

void StreamingServer::publisher_gone(const std::string& group, const std::string& reason) {
  if (!registry_.find(group) || group == closing_group_) return;
  const auto now = Clock::now();
  // A stalled master has been gone since its last packet: its grace runs from there, so that a
  // stall ending in a lost connection is not given a second grace period.
  Clock::duration gone_for{};
  if (auto media = media_.find(group); media != media_.end()) {
    if (media->second->stalled()) gone_for = media->second->silent_for(now);
    media->second->publisher_left();
  }
  (void)registry_.publisher_left(group);
  const auto left = std::max<Clock::duration>(config_.publisher_grace - gone_for, {});
  grace_deadlines_[group] = now + left;
  spdlog::warn("group={} terminal={} step=709 master's media lost ({}), {} ms to come back", group,
               group, reason, milliseconds_of(left));
}

void StreamingServer::report_resumption(const std::string& group,
                                        const PublisherResumption& resumption) {
  const auto ms = std::to_string(milliseconds_of(resumption.stalled_for));
  // Back before the sweep noticed: the stall happened all the same.
  if (!resumption.stall_was_reported) {
    (void)registry_.publisher_stalled(group, "no media for " + ms + " ms");
  }
  (void)registry_.publisher_resumed(group, "media back after " + ms + " ms");
}

void StreamingServer::publisher_stalled_out(const std::string& group, Clock::duration silent) {
  spdlog::warn(
      "group={} terminal={} step=709 master's connection is up but it sent no media for {} ms, "
      "past its {} s grace: closing its connection",
      group, group, milliseconds_of(silent), config_.publisher_grace.count());
  std::shared_ptr<RtspConnection> connection;
  for (const auto& [id, session] : sessions_) {
    if (session.group == group && session.kind == SessionKind::publisher && session.recording) {
      connection = session.connection.lock();
    }
  }
  // The clean-up of a connection lost past its grace: master_lost, viewers' BYE, group closed.
  (void)close_group(group, "master stalled", true);
  // A stalled peer may not read: its connection must not wait for queued bytes to drain.
  if (connection) connection->close("master stalled", true);
}

// ---- UDP: publishers' RTP over UDP, viewers' RTCP -----------------------------------------------

void StreamingServer::on_udp(bool rtcp, const UdpEndpoint& from, rtp::Bytes data) {
  auto route = udp_routes_.find(from);
  if (route == udp_routes_.end()) {
    // Maybe a viewer behind a NAT, from its mapped port: latching adds the route.
    if (!latch(rtcp, from, data) || (route = udp_routes_.find(from)) == udp_routes_.end()) {
      ++counters_.unknown_udp_datagrams;
      return;
    }
  }
  Session* session = find_session(route->second.session);
  if (!session) return;
  auto media = media_.find(session->group);
  if (media == media_.end()) return;
  const auto now = Clock::now();
  if (session->kind == SessionKind::publisher) {
    session->last_activity = now;
    if (rtcp) {
      media->second->on_publisher_rtcp(route->second.track, data);
    } else if (!media->second->on_publisher_rtp(route->second.track, data, now)) {
      ++counters_.malformed_rtp;
    }
    media->second->flush();
    if (media->second->has_backlog()) schedule_pacing();
    if (auto resumed = media->second->take_resumption()) {
      report_resumption(std::string(media->first), *resumed);  // may close the group
    }
    return;
  }
  session->last_activity = now;
  if (Viewer* viewer = media->second->find_viewer(session->id)) {
    viewer->last_heard = now;
    confirm_latched(*session, *viewer, route->second.track, rtcp, from);
    // RTP from a viewer is only its NAT keep-alive; RTCP carries its reception report.
    if (rtcp) media->second->on_viewer_rtcp(*viewer, route->second.track, data, now);
  }
}

// ---- timers -------------------------------------------------------------------------------------

void StreamingServer::schedule_pacing() {
  if (pacing_ || stopped_) return;
  pacing_ = true;
  pacing_timer_.expires_after(std::chrono::milliseconds(5));
  pacing_timer_.async_wait([this](const boost::system::error_code& ec) {
    pacing_ = false;
    if (ec || stopped_) return;
    bool left = false;
    for (auto& [group, media] : media_)
      left = media->pace() || left;
    if (left) {
      schedule_pacing();
    } else {
      trim_pending_ = true;
    }
  });
}

void StreamingServer::sweep() {
  const auto now = Clock::now();
  // Sessions whose peer went silent (no RTSP, no RTCP, no media) for the session timeout.
  std::vector<std::string> expired;
  for (const auto& [id, session] : sessions_) {
    auto last = session.last_activity;
    if (session.kind == SessionKind::viewer) {
      auto media = media_.find(session.group);
      if (media != media_.end()) {
        auto& viewers = media->second->viewers();
        if (auto v = viewers.find(id); v != viewers.end())
          last = std::max(last, v->second->last_heard);
      }
    }
    if (now - last > config_.session_timeout) expired.push_back(id);
  }
  for (const auto& id : expired) {
    ++counters_.sessions_timed_out;
    if (Session* s = find_session(id)) {
      spdlog::warn("group={} terminal={} step=714 session {} timed out after {} s of silence",
                   s->group, s->terminal, id, config_.session_timeout.count());
      auto connection = s->connection.lock();
      close_session(id, "timeout", true);
      if (connection) connection->close("session timeout");
    }
  }
  // Connections that hold no session and said nothing for the idle timeout.
  std::set<std::uint64_t> holding_sessions;
  for (const auto& [sid, session] : sessions_)
    holding_sessions.insert(session.connection_id);
  std::vector<std::shared_ptr<RtspConnection>> idle;
  for (auto& [id, connection] : connections_) {
    if (!holding_sessions.contains(id) &&
        now - connection->last_activity() > config_.idle_timeout) {
      idle.push_back(connection);
    }
  }
  for (auto& connection : idle) {
    spdlog::info("rtsp: closing connection {} from {}: {}", connection->id(),
                 connection->remote().address().to_string(),
                 connection->has_spoken() ? "idle" : "never sent a request");
    connection->close(connection->has_spoken() ? "idle" : "never sent a request", true);
  }
  // Masters that did not come back within their grace period (master_lost).
  std::vector<std::string> lost;
  for (const auto& [group, deadline] : grace_deadlines_) {
    if (now >= deadline) lost.push_back(group);
  }
  for (const auto& group : lost)
    (void)close_group(group, "master lost", true);
  // Masters whose connection stays up but whose media stopped (708): stalled, and given up like
  // a lost connection once silent past the grace too.
  std::vector<std::string> stalled;
  std::vector<std::pair<std::string, Clock::duration>> stalled_out;
  const auto give_up_after =
      std::max<Clock::duration>(config_.publisher_stall, config_.publisher_grace);
  for (auto& [group, media] : media_) {
    if (media->check_stall(now)) stalled.push_back(group);
    if (media->stalled() && media->silent_for(now) >= give_up_after) {
      stalled_out.emplace_back(group, media->silent_for(now));
    }
  }
  for (const auto& group : stalled) {
    auto media = media_.find(group);
    if (media == media_.end()) continue;
    (void)registry_.publisher_stalled(
        group,
        "no media for " + std::to_string(milliseconds_of(media->second->silent_for(now))) + " ms");
  }
  for (const auto& [group, silent] : stalled_out) {
    if (media_.contains(group)) publisher_stalled_out(group, silent);
  }
  for (auto& [group, media] : media_)
    media->update_rates(now);
  if (trim_pending_ && !pacing_) {
    // Viewers that caught up freed their backlogs (a join storm's worth of GOP copies): hand the
    // free pages back, so that the server's memory follows its viewers.
    trim_pending_ = false;
    malloc_trim(0);
  }

  if (stopped_) return;
  sweep_timer_.expires_after(std::chrono::milliseconds(500));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) sweep();
  });
}

// ---- events and snapshots -----------------------------------------------------------------------

void StreamingServer::on_group_event(const core::GroupEvent& event) {
  spdlog::info("group={} terminal={} step={} event={} reason={}", event.group, event.terminal,
               step_of(event.kind), core::to_string(event.kind),
               event.reason.empty() ? "-" : event.reason);
  for (const auto& listener : listeners_)
    listener(event);
}

control::GroupSnapshot StreamingServer::make_snapshot(const core::Group& group) const {
  control::GroupSnapshot out;
  const auto now = Clock::now();
  out.group = group.id;
  out.master = group.id;
  out.state = std::string(core::to_string(group.state));
  out.created_unix = group.created_unix;
  auto media = media_.find(group.id);
  for (const auto& [id, session] : sessions_) {
    if (session.group != group.id || session.kind != SessionKind::publisher || !session.recording)
      continue;
    control::PublisherStats publisher;
    publisher.terminal = session.terminal;
    publisher.transport = session.udp ? "udp" : "tcp";
    publisher.connected_s = std::chrono::duration<double>(now - session.started).count();
    if (auto connection = session.connection.lock()) {
      publisher.remote = connection->remote().address().to_string() + ":" +
                         std::to_string(connection->remote().port());
    }
    if (media != media_.end()) {
      for (const auto& track : media->second->tracks())
        publisher.malformed_packets += track.malformed();
      publisher.rtcp_sender_reports = media->second->sender_reports();
      publisher.stalled = media->second->stalled();
      if (publisher.stalled)
        publisher.stalled_for_ms = milliseconds_of(media->second->silent_for(now));
      publisher.stalls = media->second->stalls();
    }
    publisher.wrong_channel_packets = session.wrong_channel_packets;
    out.publisher = publisher;
  }
  if (media != media_.end()) {
    for (const auto& track : media->second->tracks()) {
      const auto& d = track.description();
      out.tracks.push_back(
          {static_cast<int>(d.index), d.media, std::string(to_string(d.codec)), d.clock_rate,
           track.packets(), track.bytes(), track.bitrate_bps(), track.malformed(),
           track.keyframes(), track.stale_packets(), track.held_packets(),
           std::chrono::duration<double, std::milli>(track.staleness().last_lag()).count()});
    }
  }
  for (const auto& [number, admitted] : group.viewers) {
    control::ViewerStats stats;
    stats.viewer = number;
    stats.state = admitted.playing ? "playing" : "admitted";
    if (media != media_.end()) {
      for (const auto& [id, viewer] : media->second->viewers()) {
        if (viewer->number != number) continue;
        stats.state = viewer->state == ViewerState::playing  ? "playing"
                      : viewer->state == ViewerState::paused ? "paused"
                                                             : "set_up";
        stats.transport = viewer->tcp ? "tcp" : "udp";
        stats.latched = !viewer->tcp;
        for (const auto& t : viewer->tracks) {
          if (t.set_up && stats.remote.empty()) {
            stats.remote = viewer->tcp ? "interleaved" : endpoint_text(t.rtp);
            if (!viewer->tcp) stats.rtp_destination = stats.remote;
          }
          if (t.set_up && !(t.rtp_latched && t.rtcp_latched)) stats.latched = false;
          if (t.set_up && t.reception) {
            control::ReceptionStats r{t.reception->fraction_lost, t.reception->cumulative_lost,
                                      t.reception->jitter_ms,
                                      std::chrono::duration<double>(now - t.reception->at).count()};
            if (!stats.reception || r.fraction_lost > stats.reception->fraction_lost ||
                r.cumulative_lost > stats.reception->cumulative_lost) {
              stats.reception = r;
            }
          }
        }
        stats.packets_sent = viewer->delivery->packets_sent.load(std::memory_order_relaxed);
        stats.bytes_sent = viewer->delivery->bytes_sent.load(std::memory_order_relaxed);
        stats.packets_dropped = viewer->delivery->packets_dropped.load(std::memory_order_relaxed);
        stats.rtcp_reports = viewer->rtcp_reports;
      }
    }
    out.viewers.push_back(std::move(stats));
  }
  return out;
}

std::vector<control::GroupSnapshot> StreamingServer::snapshots() const {
  std::vector<control::GroupSnapshot> out;
  for (const core::Group* group : registry_.groups())
    out.push_back(make_snapshot(*group));
  return out;
}

Result<control::GroupSnapshot, control::ControlError> StreamingServer::snapshot(
    const std::string& group) const {
  const core::Group* found = registry_.find(group);
  if (!found) {
    return fail(control::ControlError{control::ControlErrorCode::not_found,
                                      "group " + group + ": no_such_group"});
  }
  return make_snapshot(*found);
}

}  // namespace callcast::media
