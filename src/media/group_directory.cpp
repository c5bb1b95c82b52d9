#include "media/group_directory.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "media/group_snapshot.hpp"
#include "media/publisher_session.hpp"
#include "media/rtsp_connection.hpp"
#include "media/session_table.hpp"
#include "media/udp_router.hpp"
#include "media/viewer_session.hpp"
#include "rtsp/group_url.hpp"

namespace callcast::media {

namespace {

// The profile-level-id a phone's answer is planned against (issue 13) is the stream's own: the
// profile, constraint flags and level of its sequence parameter set (bytes 1-3 after the NAL
// header, RFC 6184 §8.1), which is what decoders meet, rather than what its publisher's SDP said
// (`callcast broadcast`'s rtspclientsink announces none, which RFC 6184 reads as Baseline level
// 1.0, 42000a: phones offering constrained baseline were then refused its x264 stream, 42c01f).
// The SPS is the announced sprop-parameter-sets' until one comes in band.
std::string with_stream_profile(const std::string& fmtp, const std::vector<std::uint8_t>& sps) {
  if (sps.size() < 4) return fmtp;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string value;
  for (std::size_t i = 1; i <= 3; ++i) {
    value += kHex[sps[i] >> 4];
    value += kHex[sps[i] & 0x0f];
  }
  std::string out;
  std::size_t start = 0;
  bool replaced = false;
  while (start <= fmtp.size()) {
    std::size_t end = fmtp.find(';', start);
    if (end == std::string::npos) end = fmtp.size();
    std::string parameter = fmtp.substr(start, end - start);
    const auto first = parameter.find_first_not_of(' ');
    if (first != std::string::npos && parameter.compare(first, 17, "profile-level-id=") == 0) {
      parameter = parameter.substr(0, first) + "profile-level-id=" + value;
      replaced = true;
    }
    if (!parameter.empty()) out += (out.empty() ? "" : ";") + parameter;
    start = end + 1;
  }
  if (!replaced) out += (out.empty() ? "" : ";") + std::string("profile-level-id=") + value;
  return out;
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

}  // namespace

GroupDirectory::GroupDirectory(const core::MediaConfig& config, const core::TimeSource& time,
                               std::string token_secret, ServerCounters& counters,
                               SessionTable& sessions, UdpRouter& routes)
    : config_(config),
      time_(time),
      tokens_(token_secret.empty() ? core::TokenSigner::generate_secret()
                                   : std::move(token_secret)),
      registry_({config.max_groups, config.max_viewers_per_group}, *this),
      counters_(counters),
      sessions_(sessions),
      routes_(routes),
      ssrc_seed_(std::random_device{}()) {}

GroupDirectory::~GroupDirectory() = default;

void GroupDirectory::start(DatagramTransmitter& rtcp, FanoutEngine& fanout,
                           const BoundAddresses& bound) {
  rtcp_ = &rtcp;
  fanout_ = &fanout;
  bound_ = &bound;
}

void GroupDirectory::stop() {
  // Sessions point into the groups' media: they go first (their connections are closed by now).
  for (const auto& [id, session] : sessions_.all()) {
    if (auto connection = session->connection.lock()) connection->forget_session(*session);
  }
  routes_.clear();
  sessions_.clear();
  media_.clear();
}

std::int64_t GroupDirectory::unix_now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(time_.wall_now().time_since_epoch())
      .count();
}

std::string GroupDirectory::public_host() const {
  return config_.public_host.empty() ? config_.rtsp.host : config_.public_host;
}

std::string GroupDirectory::url_for(const std::string& group, const std::string& token,
                                    const std::string& control) const {
  return rtsp::make_group_url(public_host(), bound_ ? bound_->rtsp.port : config_.rtsp.port, group,
                              token, control);
}

GroupMedia* GroupDirectory::media(std::string_view group) const {
  auto it = media_.find(group);
  return it == media_.end() ? nullptr : it->second.get();
}

Result<GroupMedia*, control::ControlError> GroupDirectory::admitted_viewer_media(
    const std::string& group, const std::string& viewer) const {
  using control::ControlError;
  using control::ControlErrorCode;
  const core::Group* found = registry_.find(group);
  if (found == nullptr) {
    return fail(ControlError{ControlErrorCode::not_found, "group " + group + ": no_such_group"});
  }
  if (!found->viewers.contains(viewer)) {
    return fail(ControlError{ControlErrorCode::unauthorized,
                             "viewer " + viewer + " is not admitted to group " + group});
  }
  GroupMedia* live = media(group);
  if (live == nullptr) {
    return fail(
        ControlError{ControlErrorCode::not_found, "group " + group + " is waiting for its master"});
  }
  return live;
}

Result<bool, control::ControlError> GroupDirectory::may_publish(const std::string& group,
                                                                const std::string& master) const {
  using control::ControlError;
  using control::ControlErrorCode;
  const core::Group* found = registry_.find(group);
  if (found == nullptr) {
    return fail(ControlError{ControlErrorCode::not_found, "group " + group + ": no_such_group"});
  }
  if (master != found->id) {
    return fail(ControlError{ControlErrorCode::unauthorized,
                             "only the group's master may publish to group " + group});
  }
  if (!found->publisher.empty()) {
    return fail(
        ControlError{ControlErrorCode::conflict, "group " + group + " already has a publisher"});
  }
  return true;
}

// ---- control operations -----------------------------------------------------------------------

Result<control::GroupCreated, control::ControlError> GroupDirectory::create_group(
    const std::string& master) {
  auto group = registry_.create_group(master, unix_now());
  if (!group) return fail(control_error(group.error(), "group " + master));
  const core::TokenClaims claims{master, core::TokenRole::publish, master,
                                 unix_now() + config_.token_ttl.count()};
  spdlog::info("group={} terminal={} step=703 group created, waiting for the master", master,
               master);
  control::GroupCreated out;
  out.group = master;
  const std::string token = tokens_.issue(claims);
  out.publish_url = url_for(master, token);
  if (!web_base_url_.empty()) out.whip_url = web_base_url_ + "/whip/" + master + "?token=" + token;
  out.rtp_host = public_host();
  if (bound_ != nullptr) {
    out.rtp_port = bound_->rtp_ports.rtp;
    out.rtcp_port = bound_->rtp_ports.rtcp;
  }
  return out;
}

Result<control::ViewerAdmitted, control::ControlError> GroupDirectory::admit_viewer(
    const std::string& group, const std::string& viewer) {
  auto admitted = registry_.admit_viewer(group, viewer);
  if (!admitted) return fail(control_error(admitted.error(), "group " + group));
  const core::TokenClaims claims{group, core::TokenRole::play, viewer,
                                 unix_now() + config_.token_ttl.count()};
  // The admission lasts as long as the token that uses it (a later admission renews both).
  admission_deadlines_[{group, viewer}] = time_.now() + config_.token_ttl;
  spdlog::info("group={} terminal={} step=712 viewer admitted", group, viewer);
  control::ViewerAdmitted out;
  out.group = group;
  out.viewer = viewer;
  const std::string token = tokens_.issue(claims);
  out.play_url = url_for(group, token);
  if (!web_base_url_.empty()) out.whep_url = web_base_url_ + "/whep/" + group + "?token=" + token;
  if (const GroupMedia* live = media(group)) {
    for (const auto& track : live->tracks()) {
      const TrackDescription& d = track.description();
      control::TrackFormat format{d.media, d.encoding, d.clock_rate, 0, d.payload_type, ""};
      if (auto map = sdp::rtpmap_for(d.description, d.payload_type); map && map->channels)
        format.channels = *map->channels;
      format.fmtp = sdp::fmtp_for(d.description, d.payload_type).value_or("");
      if (d.codec == Codec::h264) {
        format.fmtp = with_stream_profile(format.fmtp, track.sequence_parameter_set());
      }
      out.tracks.push_back(std::move(format));
    }
  }
  out.rtp_host = public_host();
  if (bound_ != nullptr) {
    out.rtp_port = bound_->rtp_ports.rtp;
    out.rtcp_port = bound_->rtp_ports.rtcp;
  }
  return out;
}

Result<bool, control::ControlError> GroupDirectory::remove_viewer(const std::string& group,
                                                                  const std::string& viewer) {
  std::vector<std::string> ids;
  for (Session* session : sessions_.of_group(group)) {
    if (session->kind() == SessionKind::viewer && session->terminal() == viewer)
      ids.push_back(session->id());
  }
  for (const auto& id : ids)
    close_session(id, "removed", true);
  admission_deadlines_.erase({group, viewer});
  auto removed = registry_.remove_viewer(group, viewer, "removed");
  if (!removed) return fail(control_error(removed.error(), "viewer " + viewer));
  return true;
}

Result<bool, control::ControlError> GroupDirectory::close_group(const std::string& group,
                                                                const std::string& reason,
                                                                bool master_lost) {
  if (!registry_.find(group)) {
    return fail(control::ControlError{control::ControlErrorCode::not_found,
                                      "group " + group + ": no_such_group"});
  }
  std::vector<std::string> ids;
  for (Session* session : sessions_.of_group(group))
    ids.push_back(session->id());
  // Viewers get RTCP BYE (their players end), the publisher's connection is closed: on purpose,
  // so no grace period starts for it.
  closing_group_ = group;
  for (const auto& id : ids)
    close_session(id, reason, true);
  closing_group_.clear();
  if (group_closing_) group_closing_(group);
  grace_deadlines_.erase(group);
  for (auto it = admission_deadlines_.begin(); it != admission_deadlines_.end();) {
    it = it->first.first == group ? admission_deadlines_.erase(it) : std::next(it);
  }
  media_.erase(group);
  (void)registry_.close_group(group, reason, master_lost);
  return true;
}

// `id` is a copy: callers may name the session by a string that goes with it (a Viewer's).
void GroupDirectory::close_session(std::string id, const std::string& reason, bool send_bye) {
  std::unique_ptr<Session> session = sessions_.take(id);
  if (!session) return;
  routes_.forget(*session);
  auto connection = session->connection.lock();
  if (connection) connection->forget_session(*session);
  if (session->kind() == SessionKind::viewer) {
    auto& viewer = static_cast<ViewerSession&>(*session);
    viewer.media().remove_viewer(id, send_bye, reason);
    (void)registry_.viewer_stopped(viewer.group(), viewer.terminal(), reason);
    return;
  }
  // The publisher.
  if (connection && send_bye) connection->close(reason);
  if (static_cast<PublisherSession&>(*session).recording()) {
    publisher_gone(session->group(), reason);
  }
}

// ---- the master's media -------------------------------------------------------------------------

GroupMediaLimits GroupDirectory::media_limits() const {
  GroupMediaLimits limits;
  limits.stall_after = config_.publisher_stall;
  // In the clock's own units: whole seconds would make half of 1 s zero.
  limits.stale_lag = std::chrono::duration_cast<Clock::duration>(config_.publisher_stall) / 2;
  limits.repair.window = config_.rtx_window;
  limits.repair.max_share = config_.rtx_max_share;
  limits.qos.keyframe_request_interval = config_.keyframe_request_interval;
  limits.qos.rate_control = config_.rate_control;
  limits.qos.rate.congested_share = config_.congested_share;
  limits.qos.thinning = config_.thinning;
  return limits;
}

GroupMedia& GroupDirectory::start_recording(PublisherSession& publisher) {
  const std::string& group = publisher.group();
  auto media = media_.find(group);
  if (media == media_.end()) {
    media = media_
                .emplace(group, std::make_unique<GroupMedia>(
                                    group, publisher.tracks(), publisher.announced(), *rtcp_,
                                    *fanout_, media_limits(), ssrc_seed_++))
                .first;
    media->second->set_metrics(metrics_);
  }
  media->second->publisher_changed(time_.now());
  grace_deadlines_.erase(group);
  publisher.start_recording(*media->second);
  return *media->second;
}

void GroupDirectory::extend_grace(const std::string& group) {
  if (auto deadline = grace_deadlines_.find(group); deadline != grace_deadlines_.end()) {
    deadline->second = std::max(deadline->second, time_.now() + config_.publisher_grace);
  }
}

void GroupDirectory::publisher_input_done(GroupMedia& media) {
  if (auto resumed = media.take_resumption()) {
    report_resumption(media.group(), *resumed);  // may close the group
  }
}

bool GroupDirectory::master_may_return_with(const core::TokenClaims& claims) const {
  // 705 again after a lost connection: a master that has published for longer than token_ttl_s
  // reconnects with the URL of its 183, whose token has expired meanwhile. Its expiry is waived
  // only for the group's own master, for a token issued to this very group (not to an earlier
  // one of the same number: issued after the group was created), while the group waits for it to
  // come back (no publisher connected, or its publisher stalled) and has been published before.
  const core::Group* group = registry_.find(claims.group);
  if (group == nullptr || claims.terminal != group->id) return false;
  const std::int64_t issued_unix = claims.expires_unix - config_.token_ttl.count();
  if (issued_unix < group->created_unix) return false;
  const bool waiting = group->publisher.empty() || group->state == core::GroupState::stalled;
  return waiting && media_.contains(claims.group);
}

void GroupDirectory::publisher_gone(const std::string& group, const std::string& reason) {
  if (!registry_.find(group) || group == closing_group_) return;
  const auto now = time_.now();
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

void GroupDirectory::report_resumption(const std::string& group,
                                       const PublisherResumption& resumption) {
  const auto ms = std::to_string(milliseconds_of(resumption.stalled_for));
  // Back before the sweep noticed: the stall happened all the same.
  if (!resumption.stall_was_reported) {
    (void)registry_.publisher_stalled(group, "no media for " + ms + " ms");
  }
  (void)registry_.publisher_resumed(group, "media back after " + ms + " ms");
}

void GroupDirectory::publisher_stalled_out(const std::string& group, Clock::duration silent) {
  spdlog::warn(
      "group={} terminal={} step=709 master's connection is up but it sent no media for {} ms, "
      "past its {} s grace: closing its connection",
      group, group, milliseconds_of(silent), config_.publisher_grace.count());
  std::shared_ptr<RtspConnection> connection;
  if (Session* publisher = sessions_.recording_publisher(group)) {
    connection = publisher->connection.lock();
  }
  // The clean-up of a connection lost past its grace: master_lost, viewers' BYE, group closed.
  (void)close_group(group, "master stalled", true);
  // A stalled peer may not read: its connection must not wait for queued bytes to drain.
  if (connection) connection->close("master stalled", true);
}

// ---- over time ----------------------------------------------------------------------------------

void GroupDirectory::sweep(Clock::time_point now) {
  // Masters that did not come back within their grace period (master_lost).
  std::vector<std::string> lost;
  for (const auto& [group, deadline] : grace_deadlines_) {
    if (now >= deadline) lost.push_back(group);
  }
  for (const auto& group : lost)
    (void)close_group(group, "master lost", true);
  check_stalls(now);
  expire_admissions(now);
  for (auto& [group, media] : media_) {
    media->update_rates(now);
    media->update_qos(now);
  }
}

bool GroupDirectory::pace() {
  bool left = false;
  for (auto& [group, media] : media_)
    left = media->pace() || left;
  return left;
}

void GroupDirectory::check_stalls(Clock::time_point now) {
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
}

void GroupDirectory::expire_admissions(Clock::time_point now) {
  std::vector<std::pair<std::string, std::string>> lapsed;
  for (const auto& [admission, deadline] : admission_deadlines_) {
    if (now >= deadline) lapsed.push_back(admission);
  }
  if (lapsed.empty()) return;
  // An admission a session uses stays as long as the session (its token was checked when the
  // session started; keep-alives need no fresh one).
  std::set<std::pair<std::string, std::string>> in_use;
  for (const auto& [id, session] : sessions_.all()) {
    if (session->kind() == SessionKind::viewer)
      in_use.emplace(session->group(), session->terminal());
  }
  for (const auto& admission : lapsed) {
    if (in_use.contains(admission)) continue;
    admission_deadlines_.erase(admission);
    const auto& [group, viewer] = admission;
    if (!registry_.expire_admission(group, viewer, "admission expired")) continue;
    ++counters_.admissions_expired;
    spdlog::info("group={} terminal={} step=712 admission expired with its token, unused", group,
                 viewer);
  }
}

// ---- events and snapshots -----------------------------------------------------------------------

void GroupDirectory::on_group_event(const core::GroupEvent& event) {
  spdlog::info("group={} terminal={} step={} event={} reason={}", event.group, event.terminal,
               step_of(event.kind), core::to_string(event.kind),
               event.reason.empty() ? "-" : event.reason);
  for (const auto& listener : listeners_)
    listener(event);
}

std::vector<control::GroupSnapshot> GroupDirectory::snapshots() const {
  std::vector<control::GroupSnapshot> out;
  for (const core::Group* group : registry_.groups()) {
    const Session* publisher = sessions_.recording_publisher(group->id);
    out.push_back(make_group_snapshot(
        *group, media(group->id), static_cast<const PublisherSession*>(publisher), time_.now()));
  }
  return out;
}

Result<control::GroupSnapshot, control::ControlError> GroupDirectory::snapshot(
    const std::string& group) const {
  const core::Group* found = registry_.find(group);
  if (!found) {
    return fail(control::ControlError{control::ControlErrorCode::not_found,
                                      "group " + group + ": no_such_group"});
  }
  const Session* publisher = sessions_.recording_publisher(group);
  return make_group_snapshot(*found, media(group), static_cast<const PublisherSession*>(publisher),
                             time_.now());
}

}  // namespace callcast::media
