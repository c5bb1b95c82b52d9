// The RTSP methods of the streaming server (RFC 2326): publish is ANNOUNCE + SETUP(record) +
// RECORD (step 705), play is DESCRIBE + SETUP + PLAY (step 714).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <iterator>

#include "media/streaming_server.hpp"
#include "rtsp/group_url.hpp"
#include "rtsp/transport_header.hpp"

namespace callcast::media {

namespace {

constexpr std::string_view kPublic =
    "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, RECORD, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, "
    "SET_PARAMETER";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "1234abcd;timeout=60" -> "1234abcd"
std::string_view session_id_of(std::string_view header) {
  const auto semicolon = header.find(';');
  auto id = header.substr(0, semicolon);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t'))
    id.remove_suffix(1);
  return id;
}

// Track index from a control suffix we or common publishers produce: "trackID=1", "streamid=1",
// "stream=1", "track1".
std::optional<std::size_t> numbered_control(std::string_view control) {
  for (std::string_view prefix : {"trackID=", "streamid=", "stream=", "track"}) {
    if (!control.starts_with(prefix)) continue;
    const auto digits = control.substr(prefix.size());
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size()) return value;
  }
  return std::nullopt;
}

}  // namespace

struct StreamingServer::Reply {
  rtsp::RtspResponse response;
  std::function<void()> after;  // runs once the response is queued (e.g. start delivery)

  Reply& error(int status, std::string_view why) {
    response.status = status;
    response.reason.clear();
    if (!why.empty()) response.add("Warning", "399 callcast \"" + std::string(why) + "\"");
    return *this;
  }
  bool failed() const { return response.status >= 300; }
};

struct StreamingServer::TransportChoice {
  rtsp::TransportSpec spec;
};

struct StreamingServer::Authorized {
  rtsp::GroupUrl url;
  core::TokenClaims claims;
};

struct StreamingServer::InSession {
  Session& session;
  Authorized auth;
};

void StreamingServer::on_request(RtspConnection& connection, rtsp::RtspRequest request) {
  Reply reply;
  reply.response.add("CSeq", std::string(request.header("CSeq").value_or("0")));
  reply.response.add("Server", "callcast/0.1");
  if (!request.cseq()) {
    ++counters_.bad_requests;
    reply.response.headers.erase(reply.response.headers.begin());
    reply.error(400, "missing or malformed CSeq header");
  } else {
    using Handler = void (StreamingServer::*)(RtspConnection&, const rtsp::RtspRequest&, Reply&);
    static constexpr std::pair<std::string_view, Handler> kMethods[] = {
        {"OPTIONS", &StreamingServer::handle_options},
        {"ANNOUNCE", &StreamingServer::handle_announce},
        {"DESCRIBE", &StreamingServer::handle_describe},
        {"SETUP", &StreamingServer::handle_setup},
        {"RECORD", &StreamingServer::handle_record},
        {"PLAY", &StreamingServer::handle_play},
        {"PAUSE", &StreamingServer::handle_pause},
        {"TEARDOWN", &StreamingServer::handle_teardown},
        {"GET_PARAMETER", &StreamingServer::handle_keepalive},
        {"SET_PARAMETER", &StreamingServer::handle_keepalive},
    };
    const auto* method = std::find_if(std::begin(kMethods), std::end(kMethods),
                                      [&](const auto& m) { return m.first == request.method; });
    if (method != std::end(kMethods)) {
      (this->*(method->second))(connection, request, reply);
    } else {
      reply.error(501, "method " + request.method + " is not implemented");
      reply.response.add("Public", std::string(kPublic));
    }
  }
  if (reply.response.status == 401) ++counters_.unauthorized;
  if (reply.failed()) {
    spdlog::info("rtsp: {} {} from {} -> {} {}", request.method,
                 request.uri.substr(0, request.uri.find('?')),
                 connection.remote().address().to_string(), reply.response.status,
                 reply.response.header("Warning").value_or(""));
  } else {
    spdlog::debug("rtsp: {} {} on connection {} -> {}", request.method,
                  request.uri.substr(0, request.uri.find('?')), connection.id(),
                  reply.response.status);
  }
  connection.send(reply.response);
  if (reply.after) reply.after();
}

void StreamingServer::on_bad_message(RtspConnection& connection, int status,
                                     const std::string& why) {
  ++counters_.bad_requests;
  spdlog::info("rtsp: malformed message from {} -> {} ({}), closing",
               connection.remote().address().to_string(), status, why);
  Reply reply;
  reply.error(status, why);
  connection.send(reply.response);
  connection.close("malformed message: " + why);
}

void StreamingServer::on_closed(RtspConnection& connection, const std::string& reason) {
  const auto id = connection.id();
  pending_announces_.erase(id);
  torn_down_.erase(id);
  std::vector<std::string> ids;
  for (const auto& [sid, session] : sessions_) {
    if (session.connection_id == id) ids.push_back(sid);
  }
  for (const auto& sid : ids)
    close_session(sid, "connection closed: " + reason, false);
  spdlog::debug("rtsp: connection {} closed: {}", id, reason);
  connections_.erase(id);
}

std::optional<StreamingServer::Authorized> StreamingServer::signed_url(const rtsp::RtspRequest& r,
                                                                       Reply& reply) {
  auto url = rtsp::parse_group_url(r.uri);
  if (!url) {
    reply.error(404, url.error());
    return std::nullopt;
  }
  if (url->token.empty()) {
    reply.error(401, "no token: use the URL the network side gave you");
    return std::nullopt;
  }
  auto claims = tokens_.verify(url->token, 0);
  if (!claims) {
    reply.error(401, "token " + std::string(core::to_string(claims.error())));
    return std::nullopt;
  }
  if (claims->group != url->group) {
    reply.error(401, "token is for another group");
    return std::nullopt;
  }
  return Authorized{std::move(*url), std::move(*claims)};
}

std::optional<StreamingServer::Authorized> StreamingServer::authorize(const rtsp::RtspRequest& r,
                                                                      core::TokenRole role,
                                                                      Reply& reply) {
  auto signed_request = signed_url(r, reply);
  if (!signed_request) return std::nullopt;
  const auto& [url, claims] = *signed_request;
  if (auto fresh = tokens_.verify(url.token, unix_now()); !fresh) {
    const bool returning_master = fresh.error() == core::TokenError::expired &&
                                  role == core::TokenRole::publish && claims.role == role &&
                                  master_may_return_with(claims);
    if (!returning_master) {
      reply.error(401, "token " + std::string(core::to_string(fresh.error())));
      return std::nullopt;
    }
  }
  if (claims.role != role) {
    reply.error(401, "token is for " + std::string(core::to_string(claims.role)) + ", not " +
                         std::string(core::to_string(role)));
    return std::nullopt;
  }
  if (!registry_.find(url.group)) {
    reply.error(404, "no group " + url.group);
    return std::nullopt;
  }
  return signed_request;
}

bool StreamingServer::master_may_return_with(const core::TokenClaims& claims) const {
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

std::optional<StreamingServer::InSession> StreamingServer::authorize_in_session(
    RtspConnection& c, const rtsp::RtspRequest& r, SessionUse use, Reply& reply) {
  const auto header = r.header("Session");
  if (!header) {
    reply.error(454, "missing Session header");
    return std::nullopt;
  }
  const std::string id(session_id_of(*header));
  // Session ids travel in clear RTSP: a session this request may not use is answered exactly
  // like an id that does not exist, so that trying ids tells nothing.
  auto not_found = [&](Session* foreign, std::string_view why) -> std::optional<InSession> {
    if (foreign) {
      ++counters_.foreign_session_requests;
      spdlog::warn("group={} terminal={} step=714 {} {} names session {} of {}: {}, refused",
                   foreign->group, foreign->terminal, r.method, c.remote().address().to_string(),
                   id, foreign->terminal, why);
    }
    reply.error(454, "no session " + id);
    return std::nullopt;
  };
  Session* session = find_session(id);
  if (!session) return not_found(nullptr, "");
  // Signature first: who the caller is. Whether the token is still fresh depends on the use.
  auto signed_request = signed_url(r, reply);
  if (!signed_request) return std::nullopt;
  auto* url = &signed_request->url;
  auto* claims = &signed_request->claims;
  const auto role =
      session->kind == SessionKind::publisher ? core::TokenRole::publish : core::TokenRole::play;
  if (url->group != session->group || claims->terminal != session->terminal ||
      claims->role != role) {
    return not_found(session, "token of " + claims->terminal + " (" +
                                  std::string(core::to_string(claims->role)) + ")");
  }
  const bool own_connection = c.id() == session->connection_id;
  if (!own_connection && !session->udp) {
    // Interleaved media flows on the connection that set it up: nobody else may steer it.
    return not_found(session, "interleaved session used from another connection");
  }
  // The session's own keep-alives and teardown need no fresh token (a stream watched for hours
  // must not end at the token's expiry); anything else, or from another connection, does.
  if (!own_connection || use != SessionUse::keep_alive) {
    auto fresh = tokens_.verify(url->token, unix_now());
    const bool returning_master = !fresh && fresh.error() == core::TokenError::expired &&
                                  own_connection && session->kind == SessionKind::publisher &&
                                  master_may_return_with(*claims);
    if (!fresh && !returning_master) {
      reply.error(401, "token " + std::string(core::to_string(fresh.error())));
      return std::nullopt;
    }
  }
  session->last_activity = Clock::now();
  reply.response.add("Session",
                     session->id + ";timeout=" + std::to_string(config_.session_timeout.count()));
  return InSession{*session, Authorized{std::move(*url), std::move(*claims)}};
}

GroupMedia* StreamingServer::playable_media(const Authorized& auth, Reply& reply) {
  const auto& group = auth.url.group;
  if (!registry_.find(group)->viewers.contains(auth.claims.terminal)) {
    reply.error(403, "viewer " + auth.claims.terminal + " is not admitted to group " + group);
    return nullptr;
  }
  auto media = media_.find(group);
  if (media == media_.end()) {
    // Documented choice: no waiting; the player retries once the master is live.
    reply.error(404, "group " + group + " is waiting for its master");
    return nullptr;
  }
  return media->second.get();
}

void StreamingServer::handle_options(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  // OPTIONS needs no token and always answers; it refreshes (and echoes) only a session the
  // request may use. A foreign id is ignored like an unknown one.
  if (r.header("Session")) {
    Reply probe;
    if (authorize_in_session(c, r, SessionUse::keep_alive, probe)) {
      reply.response.add("Session", std::string(probe.response.header("Session").value_or("")));
    }
  }
  reply.response.add("Public", std::string(kPublic));
}

void StreamingServer::handle_keepalive(RtspConnection& c, const rtsp::RtspRequest& r,
                                       Reply& reply) {
  if (r.header("Session")) {
    authorize_in_session(c, r, SessionUse::keep_alive, reply);
    return;
  }
  if (!authorize(r, core::TokenRole::play, reply) && reply.response.status == 401) {
    // A publisher's keep-alive carries a publish token.
    reply.response.status = 200;
    reply.response.headers.erase(
        std::remove_if(reply.response.headers.begin(), reply.response.headers.end(),
                       [](const rtsp::Header& h) { return h.name == "Warning"; }),
        reply.response.headers.end());
    authorize(r, core::TokenRole::publish, reply);
  }
}

void StreamingServer::handle_announce(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  auto auth = authorize(r, core::TokenRole::publish, reply);
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
  const core::Group* g = registry_.find(group);
  if (!g->publisher.empty() && !take_over_publisher(c, group)) {
    reply.error(403, "group " + group + " already has a publisher");
    return;
  }
  if (auto media = media_.find(group);
      media != media_.end() && !media->second->compatible_with(*tracks)) {
    reply.error(415, "the tracks differ from the running broadcast's");
    return;
  }
  pending_announces_[c.id()] =
      PendingAnnounce{group, auth->claims.terminal, std::move(*sdp), std::move(*tracks)};
  spdlog::info("group={} terminal={} step=705 master announced {} track(s)", group,
               auth->claims.terminal, pending_announces_[c.id()].tracks.size());
}

bool StreamingServer::take_over_publisher(RtspConnection& c, const std::string& group) {
  // Only the group's master gets this far. Its old connection may be half-open (its link went
  // down and the server never heard a FIN or RST) or held by its own stalled process: the master
  // announcing again on a new connection is the one to believe.
  std::string old_id;
  for (const auto& [id, session] : sessions_) {
    if (session.group == group && session.kind == SessionKind::publisher && session.recording &&
        session.connection_id != c.id()) {
      old_id = id;
    }
  }
  if (old_id.empty()) return false;  // a second ANNOUNCE on the publishing connection itself
  auto old_connection = sessions_.at(old_id).connection.lock();
  spdlog::warn(
      "group={} terminal={} step=705 master announced again from {}: closing its old "
      "connection {} from {}",
      group, group, c.remote().address().to_string(), sessions_.at(old_id).connection_id,
      old_connection ? old_connection->remote().address().to_string() : "-");
  close_session(old_id, "replaced by the master's new connection", true);
  if (old_connection) old_connection->close("replaced by the master's new connection", true);
  // The master is here, setting up: a full grace for its SETUP and RECORD, however long the old
  // connection had been stalled.
  if (auto deadline = grace_deadlines_.find(group); deadline != grace_deadlines_.end()) {
    deadline->second = std::max(deadline->second, Clock::now() + config_.publisher_grace);
  }
  return registry_.find(group) && registry_.find(group)->publisher.empty();
}

void StreamingServer::handle_describe(RtspConnection&, const rtsp::RtspRequest& r, Reply& reply) {
  auto auth = authorize(r, core::TokenRole::play, reply);
  if (!auth) return;
  const auto& group = auth->url.group;
  GroupMedia* media = playable_media(*auth, reply);
  if (!media) return;
  const std::string token = auth->url.token;
  reply.response.body = media->describe_sdp(public_host(), [&](int track) {
    return url_for(group, token, track < 0 ? "" : "trackID=" + std::to_string(track));
  });
  reply.response.add("Content-Type", "application/sdp");
  reply.response.add("Content-Base", url_for(group, token));
}

void StreamingServer::handle_setup(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  auto header = r.header("Transport");
  if (!header) {
    reply.error(400, "SETUP needs a Transport header");
    return;
  }
  auto specs = rtsp::parse_transport(*header);
  if (!specs) {
    reply.error(400, "bad Transport header: " + specs.error());
    return;
  }
  Session* session = nullptr;
  core::TokenRole role = core::TokenRole::play;
  std::optional<Authorized> auth;
  if (r.header("Session")) {
    auto in = authorize_in_session(c, r, SessionUse::start, reply);
    if (!in) return;
    session = &in->session;
    role =
        session->kind == SessionKind::publisher ? core::TokenRole::publish : core::TokenRole::play;
    auth = std::move(in->auth);
  } else {
    if (pending_announces_.contains(c.id())) role = core::TokenRole::publish;
    auth = authorize(r, role, reply);
    if (!auth) return;
  }

  // Pick the first alternative we serve: unicast RTP over UDP ports or interleaved on TCP.
  std::optional<TransportChoice> choice;
  std::string refusal = "no transport offered that callcast serves (RTP/AVP unicast UDP or TCP)";
  for (const auto& spec : *specs) {
    if (spec.profile != "RTP/AVP" && spec.profile != "RTP/AVPF") continue;
    if (!spec.unicast) {
      refusal = "multicast is not supported";
      continue;
    }
    const bool record = spec.mode && *spec.mode == "record";
    if (record != (role == core::TokenRole::publish) && spec.mode) {
      refusal = "mode=" + *spec.mode + " does not match the token's role";
      continue;
    }
    if (spec.lower == rtsp::LowerTransport::udp && !spec.client_port) {
      refusal = "UDP transport needs client_port";
      continue;
    }
    choice = TransportChoice{spec};
    break;
  }
  if (!choice) {
    reply.error(461, refusal);
    return;
  }

  const std::string& group = auth->url.group;
  if (role == core::TokenRole::publish) {
    const std::vector<TrackDescription>* tracks = nullptr;
    if (!session) {
      auto& pending = pending_announces_[c.id()];
      Session fresh;
      fresh.id = new_session_id();
      fresh.kind = SessionKind::publisher;
      fresh.group = pending.group;
      fresh.terminal = pending.terminal;
      fresh.connection = c.shared_from_this();
      fresh.connection_id = c.id();
      fresh.last_activity = fresh.started = Clock::now();
      fresh.tracks = pending.tracks;
      fresh.announced = pending.sdp;
      fresh.channel_track.assign(256, -1);
      fresh.udp_rtp_from.resize(kMaxTracks);
      fresh.udp_rtcp_from.resize(kMaxTracks);
      pending_announces_.erase(c.id());
      const auto id = fresh.id;
      session = &(sessions_[id] = std::move(fresh));
      publisher_of_connection_[c.id()] = id;
      reply.response.add("Session",
                         id + ";timeout=" + std::to_string(config_.session_timeout.count()));
    }
    tracks = &session->tracks;
    std::optional<std::size_t> track;
    for (const auto& t : *tracks) {
      if (!auth->url.control.empty() && t.control == auth->url.control) track = t.index;
    }
    if (!track && auth->url.control.empty() && tracks->size() == 1) track = 0;
    if (!track) track = numbered_control(auth->url.control);
    if (!track || *track >= tracks->size()) {
      reply.error(404, "no announced track '" + auth->url.control + "'");
      return;
    }
    setup_publisher_track(c, *session, *track, *choice, reply);
    return;
  }

  // A viewer.
  GroupMedia* media = playable_media(*auth, reply);
  if (!media) return;
  std::optional<std::size_t> track = numbered_control(auth->url.control);
  if (!track && auth->url.control.empty() && media->tracks().size() == 1) track = 0;
  if (!track || *track >= media->tracks().size()) {
    reply.error(404, "no track '" + auth->url.control + "' in group " + group);
    return;
  }
  if (!session) {
    // One media session per admitted viewer: a new one replaces the old (a player reconnecting).
    if (Viewer* old = media->find_viewer_by_number(auth->claims.terminal)) {
      close_session(old->session_id, "replaced by a new session", true);
    }
    Session fresh;
    fresh.id = new_session_id();
    fresh.kind = SessionKind::viewer;
    fresh.group = group;
    fresh.terminal = auth->claims.terminal;
    fresh.connection = c.shared_from_this();
    fresh.connection_id = c.id();
    fresh.udp = choice->spec.lower == rtsp::LowerTransport::udp;
    fresh.peer = c.remote().address();
    fresh.last_activity = fresh.started = Clock::now();
    const auto id = fresh.id;
    session = &(sessions_[id] = std::move(fresh));
    media->add_viewer(auth->claims.terminal, id, choice->spec.lower == rtsp::LowerTransport::tcp,
                      std::static_pointer_cast<InterleavedWriter>(c.shared_from_this()),
                      Clock::now());
    reply.response.add("Session",
                       id + ";timeout=" + std::to_string(config_.session_timeout.count()));
  }
  setup_viewer_track(c, *session, *track, *choice, reply);
}

void StreamingServer::setup_publisher_track(RtspConnection& c, Session& s, std::size_t track,
                                            const TransportChoice& t, Reply& reply) {
  rtsp::TransportSpec answer = t.spec;
  answer.mode = "record";
  if (t.spec.lower == rtsp::LowerTransport::tcp) {
    if (s.udp &&
        std::any_of(s.track_set_up.begin(), s.track_set_up.end(), [](bool b) { return b; })) {
      reply.error(461, "cannot mix UDP and TCP tracks in one session");
      return;
    }
    const auto channels = t.spec.interleaved.value_or(std::pair<std::uint8_t, std::uint8_t>{
        static_cast<std::uint8_t>(track * 2), static_cast<std::uint8_t>(track * 2 + 1)});
    for (int ch = 0; ch < 256; ++ch) {
      if (s.channel_track[static_cast<std::size_t>(ch)] / 2 == static_cast<int>(track)) {
        s.channel_track[static_cast<std::size_t>(ch)] = -1;
      }
    }
    if (s.channel_track[channels.first] >= 0 || s.channel_track[channels.second] >= 0) {
      reply.error(461, "interleaved channels already in use");
      return;
    }
    s.channel_track[channels.first] = static_cast<std::int8_t>(track * 2);
    s.channel_track[channels.second] = static_cast<std::int8_t>(track * 2 + 1);
    answer.interleaved = channels;
  } else {
    s.udp = true;
    const auto address = c.remote().address();
    s.udp_rtp_from[track] = UdpEndpoint(address, t.spec.client_port->first);
    s.udp_rtcp_from[track] = UdpEndpoint(address, t.spec.client_port->second);
    udp_routes_[s.udp_rtp_from[track]] = {s.id, track};
    udp_routes_[s.udp_rtcp_from[track]] = {s.id, track};
    answer.server_port = std::pair{bound_.rtp_ports.rtp, bound_.rtp_ports.rtcp};
    answer.destination.reset();
    answer.source.reset();
  }
  s.track_set_up[track] = true;
  reply.response.add("Transport", rtsp::format_transport(answer));
}

void StreamingServer::setup_viewer_track(RtspConnection&, Session& s, std::size_t track,
                                         const TransportChoice& t, Reply& reply) {
  auto media = media_.find(s.group);
  Viewer* viewer = media == media_.end() ? nullptr : media->second->find_viewer(s.id);
  if (!viewer) {
    reply.error(454, "session is gone");
    return;
  }
  const bool tcp = t.spec.lower == rtsp::LowerTransport::tcp;
  if (tcp != viewer->tcp) {
    reply.error(461, "cannot mix UDP and TCP tracks in one session");
    return;
  }
  rtsp::TransportSpec answer = t.spec;
  answer.mode.reset();
  answer.ssrc = media->second->tracks()[track].out_ssrc();
  auto& route = viewer->tracks[track];
  if (tcp) {
    const auto channels = t.spec.interleaved.value_or(std::pair<std::uint8_t, std::uint8_t>{
        static_cast<std::uint8_t>(track * 2), static_cast<std::uint8_t>(track * 2 + 1)});
    route.rtp_channel = channels.first;
    route.rtcp_channel = channels.second;
    answer.interleaved = channels;
  } else {
    // Media only ever goes to the address the session was set up from (no third-party
    // destination); the ports may still be latched to what a NAT made of them.
    route.rtp = UdpEndpoint(s.peer, t.spec.client_port->first);
    route.rtcp = UdpEndpoint(s.peer, t.spec.client_port->second);
    route.rtp_latched = route.rtcp_latched = false;
    route.client_ssrc = t.spec.ssrc;
    udp_routes_[route.rtp] = {s.id, track};
    udp_routes_[route.rtcp] = {s.id, track};
    remember_unlatched(s);
    answer.server_port = std::pair{bound_.rtp_ports.rtp, bound_.rtp_ports.rtcp};
    answer.destination.reset();
    answer.source.reset();
  }
  route.set_up = true;
  reply.response.add("Transport", rtsp::format_transport(answer));
}

void StreamingServer::handle_record(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  auto in = authorize_in_session(c, r, SessionUse::start, reply);
  if (!in) return;
  Session* s = &in->session;
  if (s->kind != SessionKind::publisher) {
    reply.error(455, "RECORD is for a publishing session");
    return;
  }
  if (std::none_of(s->track_set_up.begin(), s->track_set_up.end(), [](bool b) { return b; })) {
    reply.error(455, "SETUP a track before RECORD");
    return;
  }
  if (s->recording) return;
  const auto& group = s->group;
  auto joined = registry_.publisher_joined(group, s->terminal);
  if (!joined) {
    reply.error(403, "group " + group + ": " + std::string(core::to_string(joined.error())));
    return;
  }
  const auto now = Clock::now();
  auto media = media_.find(group);
  if (media == media_.end()) {
    media = media_
                .emplace(group, std::make_unique<GroupMedia>(group, s->tracks, s->announced,
                                                             udp_.rtcp_transmitter(), *fanout_,
                                                             media_limits(), ssrc_seed_++))
                .first;
    media->second->set_metrics(&metrics_);
  }
  media->second->publisher_changed(now);
  grace_deadlines_.erase(group);
  s->recording = true;
  reply.response.add("Range", "npt=now-");
  spdlog::info("group={} terminal={} step=705 master recording over {}", group, s->terminal,
               s->udp ? "UDP" : "TCP");
}

void StreamingServer::handle_play(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  auto in = authorize_in_session(c, r, SessionUse::start, reply);
  if (!in) return;
  Session* s = &in->session;
  const Authorized* auth = &in->auth;
  if (s->kind != SessionKind::viewer) {
    reply.error(455, "PLAY is for a viewing session");
    return;
  }
  auto media = media_.find(s->group);
  Viewer* viewer = media == media_.end() ? nullptr : media->second->find_viewer(s->id);
  if (!viewer) {
    reply.error(454, "session is gone");
    return;
  }
  if (std::none_of(viewer->tracks.begin(), viewer->tracks.end(),
                   [](const ViewerTrack& t) { return t.set_up; })) {
    reply.error(455, "SETUP a track before PLAY");
    return;
  }
  auto playing = registry_.viewer_playing(s->group, s->terminal);
  if (!playing) {
    reply.error(403,
                "viewer " + s->terminal + ": " + std::string(core::to_string(playing.error())));
    return;
  }
  auto starts = media->second->start_playing(*viewer, Clock::now());
  std::string info;
  for (const auto& start : starts) {
    if (!info.empty()) info += ",";
    info += "url=" + url_for(s->group, auth->url.token, "trackID=" + std::to_string(start.track)) +
            ";seq=" + std::to_string(start.sequence) + ";rtptime=" + std::to_string(start.rtptime);
  }
  reply.response.add("Range", "npt=now-");
  reply.response.add("RTP-Info", info);
  spdlog::info("group={} terminal={} step=714 viewer playing over {} from {} cached packets",
               s->group, s->terminal, viewer->tcp ? "TCP" : "UDP", viewer->backlog.size());
  const std::string group = s->group;
  const std::string id = s->id;
  reply.after = [this, group, id] {
    auto m = media_.find(group);
    if (m == media_.end()) return;
    if (Viewer* v = m->second->find_viewer(id)) {
      m->second->start_delivery(*v);
      if (!v->backlog.empty()) schedule_pacing();
    }
  };
}

bool StreamingServer::ended_on_this_connection(const RtspConnection& c,
                                               const rtsp::RtspRequest& r) const {
  const auto header = r.header("Session");
  const auto ended = torn_down_.find(c.id());
  return header && ended != torn_down_.end() && ended->second == session_id_of(*header);
}

void StreamingServer::handle_pause(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  if (ended_on_this_connection(c, r)) return;
  auto in = authorize_in_session(c, r, SessionUse::keep_alive, reply);
  if (!in) return;
  Session* s = &in->session;
  if (s->kind == SessionKind::publisher) {
    // rtspclientsink sends PAUSE before TEARDOWN when it stops. A paused master holds its group
    // like a stalled one (viewers keep their sessions and get no new media); RECORD resumes it,
    // TEARDOWN or a closed connection ends it as always.
    if (s->recording) {
      spdlog::info("group={} terminal={} step=708 master paused its media; the group holds",
                   s->group, s->terminal);
    }
    return;
  }
  auto media = media_.find(s->group);
  if (media == media_.end()) return;
  if (Viewer* viewer = media->second->find_viewer(s->id)) media->second->pause(*viewer);
}

void StreamingServer::handle_teardown(RtspConnection& c, const rtsp::RtspRequest& r, Reply& reply) {
  if (ended_on_this_connection(c, r)) return;
  auto in = authorize_in_session(c, r, SessionUse::keep_alive, reply);
  if (!in) return;
  Session* s = &in->session;
  const std::string id = s->id;
  const std::string group = s->group;
  torn_down_[c.id()] = id;
  if (s->kind == SessionKind::publisher && s->recording) {
    // The master ended its broadcast on purpose: no grace period. Its connection stays open (it
    // closes it itself, or the idle timeout does): a PAUSE crossing the TEARDOWN still gets 200.
    spdlog::info("group={} terminal={} step=709 master tore down its media", group, s->terminal);
    s->connection.reset();
    reply.after = [this, group] { (void)close_group(group, "master teardown", true); };
    return;
  }
  close_session(id, "teardown", false);
}

void StreamingServer::on_interleaved(RtspConnection& connection, std::uint8_t channel,
                                     rtp::Bytes payload) {
  auto owner = publisher_of_connection_.find(connection.id());
  if (owner == publisher_of_connection_.end()) {
    // A TCP viewer's RTCP receiver report, or noise.
    for (auto& [id, session] : sessions_) {
      if (session.connection_id != connection.id() || session.kind != SessionKind::viewer) continue;
      auto media = media_.find(session.group);
      if (media == media_.end()) continue;
      Viewer* viewer = media->second->find_viewer(id);
      if (!viewer) continue;
      session.last_activity = Clock::now();
      for (std::size_t t = 0; t < kMaxTracks; ++t) {
        if (viewer->tracks[t].set_up && viewer->tracks[t].rtcp_channel == channel) {
          media->second->on_viewer_rtcp(*viewer, t, payload, Clock::now());
          return;
        }
      }
    }
    ++counters_.wrong_channel_packets;
    return;
  }
  Session* s = find_session(owner->second);
  if (!s) return;
  const int slot = channel < s->channel_track.size() ? s->channel_track[channel] : -1;
  if (slot < 0 || !s->recording) {
    ++counters_.wrong_channel_packets;
    ++s->wrong_channel_packets;
    return;
  }
  auto media = media_.find(s->group);
  if (media == media_.end()) return;
  const auto now = Clock::now();
  s->last_activity = now;
  const auto track = static_cast<std::size_t>(slot / 2);
  if (slot % 2 == 1) {
    media->second->on_publisher_rtcp(track, payload);
  } else if (!media->second->on_publisher_rtp(track, payload, now)) {
    ++counters_.malformed_rtp;
  }
  if (media->second->has_backlog()) schedule_pacing();
  if (auto resumed = media->second->take_resumption()) {
    report_resumption(std::string(media->first), *resumed);  // may close the group
  }
}

void StreamingServer::on_read_done(RtspConnection& connection) {
  auto owner = publisher_of_connection_.find(connection.id());
  if (owner == publisher_of_connection_.end()) return;
  Session* s = find_session(owner->second);
  if (!s) return;
  if (auto media = media_.find(s->group); media != media_.end()) media->second->flush();
}

}  // namespace callcast::media
