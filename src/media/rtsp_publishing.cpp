#include "media/rtsp_publishing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/group_directory.hpp"
#include "media/publisher_session.hpp"
#include "media/rtsp_connection.hpp"
#include "media/session_table.hpp"
#include "media/udp_router.hpp"

namespace callcast::media {

void RtspPublishing::announce(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  auto auth = auth_.authorize(r, core::TokenRole::publish, reply);
  if (!auth) return;
  const auto& group = auth->url.group;
  if (auth->claims.terminal != group) {
    reply.error(403, "only the group's master may publish");
    return;
  }
  auto type = r.header("Content-Type");
  if (!type || type->find("application/sdp") == std::string_view::npos) {
    reply.error(415, "ANNOUNCE needs an application/sdp body");
    return;
  }
  auto sdp = sdp::SessionDescription::parse(r.body);
  if (!sdp) {
    reply.error(400, "bad SDP: " + sdp.error());
    return;
  }
  auto tracks = describe_tracks(*sdp);
  if (!tracks) {
    reply.error(415, tracks.error());
    return;
  }
  const core::Group* g = ctx_.directory.registry().find(group);
  if (!g->publisher.empty() && !take_over_publisher(c, group)) {
    reply.error(403, "group " + group + " already has a publisher");
    return;
  }
  if (GroupMedia* media = ctx_.directory.media(group);
      media != nullptr && !media->compatible_with(*tracks)) {
    reply.error(415, "the tracks differ from the running broadcast's");
    return;
  }
  pending_[c.id()] =
      PendingAnnounce{group, auth->claims.terminal, std::move(*sdp), std::move(*tracks)};
  spdlog::info("group={} terminal={} step=705 master announced {} track(s)", group,
               auth->claims.terminal, pending_[c.id()].tracks.size());
}

bool RtspPublishing::announced_on(const RtspConnection& c) const {
  return pending_.contains(c.id());
}

void RtspPublishing::forget_group(const std::string& group) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = it->second.group == group ? pending_.erase(it) : std::next(it);
  }
}

bool RtspPublishing::take_over_publisher(RtspConnection& c, const std::string& group) {
  // Only the group's master gets this far. Its old connection may be half-open (its link went
  // down and the server never heard a FIN or RST) or held by its own stalled process: the master
  // announcing again on a new connection is the one to believe.
  Session* old = nullptr;
  for (Session* session : ctx_.sessions.of_group(group)) {
    if (session->kind() == SessionKind::publisher &&
        static_cast<PublisherSession*>(session)->recording() && session->connection_id != c.id()) {
      old = session;
    }
  }
  if (old == nullptr) return false;  // a second ANNOUNCE on the publishing connection itself
  auto old_connection = old->connection.lock();
  spdlog::warn(
      "group={} terminal={} step=705 master announced again from {}: closing its old "
      "connection {} from {}",
      group, group, c.remote().address().to_string(), old->connection_id,
      old_connection ? old_connection->remote().address().to_string() : "-");
  ctx_.directory.close_session(old->id(), "replaced by the master's new connection", true);
  if (old_connection) old_connection->close("replaced by the master's new connection", true);
  // The master is here, setting up: a full grace for its SETUP and RECORD, however long the old
  // connection had been stalled.
  ctx_.directory.extend_grace(group);
  const core::Group* found = ctx_.directory.registry().find(group);
  return found && found->publisher.empty();
}

void RtspPublishing::setup(RtspConnection& c, PublisherSession* session, const Authorized& auth,
                           const rtsp::TransportSpec& spec, RtspReply& reply) {
  if (!session) {
    auto& pending = pending_[c.id()];
    auto fresh =
        std::make_unique<PublisherSession>(ctx_.sessions.new_id(), pending.group, pending.terminal,
                                           ctx_.time.now(), pending.tracks, pending.sdp);
    fresh->connection = c.shared_from_this();
    fresh->connection_id = c.id();
    pending_.erase(c.id());
    session = &ctx_.sessions.add(std::move(fresh));
    c.carry_media_of(*session);
    reply.response.add("Session", session->id() + ";timeout=" +
                                      std::to_string(ctx_.config.session_timeout.count()));
  }
  const auto track = session->track_for(auth.url.control);
  if (!track) {
    reply.error(404, "no announced track '" + auth.url.control + "'");
    return;
  }
  setup_track(c, *session, *track, spec, reply);
}

void RtspPublishing::setup_track(RtspConnection& c, PublisherSession& s, std::size_t track,
                                 const rtsp::TransportSpec& spec, RtspReply& reply) {
  rtsp::TransportSpec answer = spec;
  answer.mode = "record";
  if (spec.lower == rtsp::LowerTransport::tcp) {
    if (s.udp && s.any_track_set_up()) {
      reply.error(461, "cannot mix UDP and TCP tracks in one session");
      return;
    }
    const auto channels = spec.interleaved.value_or(std::pair<std::uint8_t, std::uint8_t>{
        static_cast<std::uint8_t>(track * 2), static_cast<std::uint8_t>(track * 2 + 1)});
    c.unroute_track(track);
    if (c.channel_in_use(channels.first) || c.channel_in_use(channels.second)) {
      reply.error(461, "interleaved channels already in use");
      return;
    }
    c.route_channels(track, channels.first, channels.second);
    s.rtcp_channel[track] = channels.second;
    answer.interleaved = channels;
  } else {
    s.udp = true;
    const auto address = c.remote().address();
    s.udp_rtp_from[track] = UdpEndpoint(address, spec.client_port->first);
    s.udp_rtcp_from[track] = UdpEndpoint(address, spec.client_port->second);
    ctx_.routes.add(s.udp_rtp_from[track], s, track);
    ctx_.routes.add(s.udp_rtcp_from[track], s, track);
    answer.server_port = std::pair{ctx_.bound.rtp_ports.rtp, ctx_.bound.rtp_ports.rtcp};
    answer.destination.reset();
    answer.source.reset();
  }
  s.track_set_up[track] = true;
  reply.response.add("Transport", rtsp::format_transport(answer));
}

void RtspPublishing::record(PublisherSession& s, RtspReply& reply) {
  if (!s.any_track_set_up()) {
    reply.error(455, "SETUP a track before RECORD");
    return;
  }
  if (s.recording()) return;
  const auto& group = s.group();
  auto joined = ctx_.directory.registry().publisher_joined(group, s.terminal());
  if (!joined) {
    reply.error(403, "group " + group + ": " + std::string(core::to_string(joined.error())));
    return;
  }
  GroupMedia& media = ctx_.directory.start_recording(s);
  // Keyframe and bitrate requests for the master (issue 12 items 3-4) go back the way its media
  // came: its RECORD connection's RTCP channels, or its UDP RTCP ports.
  PublisherRtcpPath path;
  path.tcp = !s.udp;
  if (auto connection = s.connection.lock()) {
    path.writer = std::static_pointer_cast<InterleavedWriter>(connection);
  }
  path.rtcp_channel = s.rtcp_channel;
  path.udp_rtcp = s.udp_rtcp_from;
  path.nack = ctx_.config.publisher_nack;  // over UDP only: TCP does not lose
  media.set_publisher_rtcp(std::move(path));
  reply.response.add("Range", "npt=now-");
  spdlog::info("group={} terminal={} step=705 master recording over {}", group, s.terminal(),
               s.udp ? "UDP" : "TCP");
}

}  // namespace callcast::media
