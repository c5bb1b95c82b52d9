#include "media/rtsp_playing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/group_directory.hpp"
#include "media/rtsp_connection.hpp"
#include "media/session_table.hpp"
#include "media/track_control.hpp"
#include "media/udp_router.hpp"
#include "media/viewer_session.hpp"

namespace callcast::media {

GroupMedia* RtspPlaying::playable_media(const Authorized& auth, RtspReply& reply) {
  const auto& group = auth.url.group;
  if (!ctx_.directory.registry().find(group)->viewers.contains(auth.claims.terminal)) {
    reply.error(403, "viewer " + auth.claims.terminal + " is not admitted to group " + group);
    return nullptr;
  }
  GroupMedia* media = ctx_.directory.media(group);
  if (media == nullptr) {
    // Documented choice: no waiting; the player retries once the master is live.
    reply.error(404, "group " + group + " is waiting for its master");
  }
  return media;
}

void RtspPlaying::describe(const rtsp::RtspRequest& r, RtspReply& reply) {
  auto auth = auth_.authorize(r, core::TokenRole::play, reply);
  if (!auth) return;
  const auto& group = auth->url.group;
  GroupMedia* media = playable_media(*auth, reply);
  if (!media) return;
  const std::string token = auth->url.token;
  reply.response.body = media->describe_sdp(ctx_.directory.public_host(), [&](int track) {
    return ctx_.directory.url_for(group, token,
                                  track < 0 ? "" : "trackID=" + std::to_string(track));
  });
  reply.response.add("Content-Type", "application/sdp");
  reply.response.add("Content-Base", ctx_.directory.url_for(group, token));
}

void RtspPlaying::setup(RtspConnection& c, ViewerSession* session, const Authorized& auth,
                        const rtsp::TransportSpec& spec, RtspReply& reply) {
  const std::string& group = auth.url.group;
  GroupMedia* media = playable_media(auth, reply);
  if (!media) return;
  std::optional<std::size_t> track = numbered_control(auth.url.control);
  if (!track && auth.url.control.empty() && media->tracks().size() == 1) track = 0;
  if (!track || *track >= media->tracks().size()) {
    reply.error(404, "no track '" + auth.url.control + "' in group " + group);
    return;
  }
  if (session != nullptr && &session->media() != media) {
    reply.error(454, "session is gone");
    return;
  }
  if (!session) {
    // One media session per admitted viewer: a new one replaces the old (a player reconnecting).
    if (Viewer* old = media->find_viewer_by_number(auth.claims.terminal)) {
      ctx_.directory.close_session(old->session_id, "replaced by a new session", true);
    }
    const bool tcp = spec.lower == rtsp::LowerTransport::tcp;
    const auto now = ctx_.time.now();
    const std::string id = ctx_.sessions.new_id();
    Viewer& viewer =
        media->add_viewer(auth.claims.terminal, id, tcp,
                          std::static_pointer_cast<InterleavedWriter>(c.shared_from_this()), now);
    auto fresh =
        std::make_unique<ViewerSession>(id, group, auth.claims.terminal, now, *media, viewer);
    fresh->connection = c.shared_from_this();
    fresh->connection_id = c.id();
    fresh->udp = !tcp;
    fresh->peer = c.remote().address();
    session = &ctx_.sessions.add(std::move(fresh));
    c.carry_media_of(*session);
    reply.response.add("Session",
                       id + ";timeout=" + std::to_string(ctx_.config.session_timeout.count()));
  }
  setup_track(c, *session, *track, spec, reply);
}

void RtspPlaying::setup_track(RtspConnection& c, ViewerSession& s, std::size_t track,
                              const rtsp::TransportSpec& spec, RtspReply& reply) {
  Viewer& viewer = s.viewer();
  const bool tcp = spec.lower == rtsp::LowerTransport::tcp;
  if (tcp != viewer.tcp) {
    reply.error(461, "cannot mix UDP and TCP tracks in one session");
    return;
  }
  rtsp::TransportSpec answer = spec;
  answer.mode.reset();
  answer.ssrc = s.media().tracks()[track].out_ssrc();
  auto& route = viewer.tracks[track];
  if (tcp) {
    const auto channels = spec.interleaved.value_or(std::pair<std::uint8_t, std::uint8_t>{
        static_cast<std::uint8_t>(track * 2), static_cast<std::uint8_t>(track * 2 + 1)});
    route.rtp_channel = channels.first;
    route.rtcp_channel = channels.second;
    // The player's receiver reports come back on the RTCP channel of this connection.
    c.unroute_track(track);
    c.route_channels(track, channels.first, channels.second);
    answer.interleaved = channels;
  } else {
    // Media only ever goes to the address the session was set up from (no third-party
    // destination); the ports may still be latched to what a NAT made of them.
    route.rtp = UdpEndpoint(s.peer, spec.client_port->first);
    route.rtcp = UdpEndpoint(s.peer, spec.client_port->second);
    route.rtp_latched = route.rtcp_latched = false;
    route.client_ssrc = spec.ssrc;
    ctx_.routes.add(route.rtp, s, track);
    ctx_.routes.add(route.rtcp, s, track);
    ctx_.routes.remember_unlatched(s);
    answer.server_port = std::pair{ctx_.bound.rtp_ports.rtp, ctx_.bound.rtp_ports.rtcp};
    answer.destination.reset();
    answer.source.reset();
  }
  // RFC 4585: feedback (and with it RTX, see viewer_offer.cpp) needs an AVPF SETUP; an AVP one
  // (ffmpeg's, whatever the SDP said) plays as before and its NACKs get original packets.
  route.feedback = spec.profile == "RTP/AVPF";
  route.rtx_sequence = static_cast<std::uint16_t>(viewer.fanout_id * 40503U + track * 977U);
  route.set_up = true;
  reply.response.add("Transport", rtsp::format_transport(answer));
}

void RtspPlaying::play(ViewerSession& s, const Authorized& auth, RtspReply& reply) {
  Viewer& viewer = s.viewer();
  GroupMedia& media = s.media();
  if (std::none_of(viewer.tracks.begin(), viewer.tracks.end(),
                   [](const ViewerTrack& t) { return t.set_up; })) {
    reply.error(455, "SETUP a track before PLAY");
    return;
  }
  auto playing = ctx_.directory.registry().viewer_playing(s.group(), s.terminal());
  if (!playing) {
    reply.error(403,
                "viewer " + s.terminal() + ": " + std::string(core::to_string(playing.error())));
    return;
  }
  auto starts = media.start_playing(viewer, ctx_.time.now());
  std::string info;
  for (const auto& start : starts) {
    if (!info.empty()) info += ",";
    info += "url=" +
            ctx_.directory.url_for(s.group(), auth.url.token,
                                   "trackID=" + std::to_string(start.track)) +
            ";seq=" + std::to_string(start.sequence) + ";rtptime=" + std::to_string(start.rtptime);
  }
  reply.response.add("Range", "npt=now-");
  reply.response.add("RTP-Info", info);
  spdlog::info("group={} terminal={} step=714 viewer playing over {} from {} cached packets",
               s.group(), s.terminal(), viewer.tcp ? "TCP" : "UDP", viewer.backlog.size());
  // Delivery starts once the PLAY response is queued (nothing may reach the player before it).
  reply.after = [this, id = s.id()] {
    Session* found = ctx_.sessions.find(id);
    if (found == nullptr || found->kind() != SessionKind::viewer) return;
    auto& session = static_cast<ViewerSession&>(*found);
    session.media().start_delivery(session.viewer());
    if (!session.viewer().backlog.empty()) ctx_.schedule_pacing();
  };
}

}  // namespace callcast::media
