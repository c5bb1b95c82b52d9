// The RTSP methods of the streaming server (RFC 2326): publish is ANNOUNCE + SETUP(record) +
// RECORD (step 705), play is DESCRIBE + SETUP + PLAY (step 714).
#include "media/rtsp_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <iterator>
#include <set>
#include <vector>

#include "media/group_directory.hpp"
#include "media/publisher_session.hpp"
#include "media/session_table.hpp"
#include "media/viewer_session.hpp"

namespace callcast::media {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view kPublic =
    "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, RECORD, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, "
    "SET_PARAMETER";

// The first Transport alternative we serve (unicast RTP over UDP ports or interleaved on TCP)
// for a session of `role`, or why none is.
Result<rtsp::TransportSpec, std::string> choose_transport(
    const std::vector<rtsp::TransportSpec>& specs, core::TokenRole role) {
  std::string refusal = "no transport offered that callcast serves (RTP/AVP unicast UDP or TCP)";
  for (const auto& spec : specs) {
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
    return spec;
  }
  return fail(refusal);
}

}  // namespace

RtspServer::RtspServer(asio::io_context& io, ServerContext& context)
    : io_(io),
      ctx_(context),
      auth_(context),
      publishing_(context),
      playing_(context),
      acceptor_(io) {}

RtspServer::~RtspServer() {
  stop();
}

Result<std::uint16_t, std::string> RtspServer::listen() {
  boost::system::error_code ec;
  const auto& config = ctx_.config;
  const auto address = asio::ip::make_address(config.rtsp.host, ec);
  if (ec) return fail("RTSP host must be an IP address, not '" + config.rtsp.host + "'");
  const tcp::endpoint endpoint(address, config.rtsp.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("cannot listen for RTSP on " + core::to_string(config.rtsp) + ": " + ec.message());
  }
  accept();
  return acceptor_.local_endpoint().port();
}

void RtspServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto connections = connections_;
  for (auto& [id, connection] : connections)
    connection->close("server stopping", true);
}

void RtspServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      if (connections_.size() >= ctx_.config.max_connections) {
        ++ctx_.counters.connections_refused;
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        ++ctx_.counters.connections_accepted;
        const auto id = next_connection_id_++;
        ConnectionLimits limits;
        limits.parser = {ctx_.config.max_rtsp_message_bytes, ctx_.config.max_rtsp_headers};
        auto connection =
            std::make_shared<RtspConnection>(std::move(socket), *this, limits, id, ctx_.time);
        connections_[id] = connection;
        spdlog::debug("rtsp: connection {} from {}", id,
                      connection->remote().address().to_string());
        connection->start();
      }
    }
    accept();
  });
}

void RtspServer::close_idle(Clock::time_point now) {
  std::set<std::uint64_t> holding_sessions;
  for (const auto& [sid, session] : ctx_.sessions.all())
    holding_sessions.insert(session->connection_id);
  std::vector<std::shared_ptr<RtspConnection>> idle;
  for (auto& [id, connection] : connections_) {
    if (!holding_sessions.contains(id) &&
        now - connection->last_activity() > ctx_.config.idle_timeout) {
      idle.push_back(connection);
    }
  }
  for (auto& connection : idle) {
    spdlog::info("rtsp: closing connection {} from {}: {}", connection->id(),
                 connection->remote().address().to_string(),
                 connection->has_spoken() ? "idle" : "never sent a request");
    connection->close(connection->has_spoken() ? "idle" : "never sent a request", true);
  }
}

void RtspServer::on_request(RtspConnection& connection, rtsp::RtspRequest request) {
  RtspReply reply;
  reply.response.add("CSeq", std::string(request.header("CSeq").value_or("0")));
  reply.response.add("Server", "callcast/0.1");
  if (!request.cseq()) {
    ++ctx_.counters.bad_requests;
    reply.response.headers.erase(reply.response.headers.begin());
    reply.error(400, "missing or malformed CSeq header");
  } else {
    using Handler = void (RtspServer::*)(RtspConnection&, const rtsp::RtspRequest&, RtspReply&);
    static constexpr std::pair<std::string_view, Handler> kMethods[] = {
        {"OPTIONS", &RtspServer::handle_options},
        {"ANNOUNCE", &RtspServer::handle_announce},
        {"DESCRIBE", &RtspServer::handle_describe},
        {"SETUP", &RtspServer::handle_setup},
        {"RECORD", &RtspServer::handle_record},
        {"PLAY", &RtspServer::handle_play},
        {"PAUSE", &RtspServer::handle_pause},
        {"TEARDOWN", &RtspServer::handle_teardown},
        {"GET_PARAMETER", &RtspServer::handle_keepalive},
        {"SET_PARAMETER", &RtspServer::handle_keepalive},
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
  if (reply.response.status == 401) ++ctx_.counters.unauthorized;
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

void RtspServer::on_bad_message(RtspConnection& connection, int status, const std::string& why) {
  ++ctx_.counters.bad_requests;
  spdlog::info("rtsp: malformed message from {} -> {} ({}), closing",
               connection.remote().address().to_string(), status, why);
  RtspReply reply;
  reply.error(status, why);
  connection.send(reply.response);
  connection.close("malformed message: " + why);
}

void RtspServer::on_closed(RtspConnection& connection, const std::string& reason) {
  const auto id = connection.id();
  publishing_.forget_connection(id);
  torn_down_.erase(id);
  std::vector<std::string> ids;
  for (Session* session : ctx_.sessions.of_connection(id))
    ids.push_back(session->id());
  for (const auto& sid : ids)
    ctx_.directory.close_session(sid, "connection closed: " + reason, false);
  spdlog::debug("rtsp: connection {} closed: {}", id, reason);
  connections_.erase(id);
}

// ---- methods that start something ---------------------------------------------------------------

void RtspServer::handle_announce(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  publishing_.announce(c, r, reply);
}

void RtspServer::handle_describe(RtspConnection&, const rtsp::RtspRequest& r, RtspReply& reply) {
  playing_.describe(r, reply);
}

void RtspServer::handle_setup(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
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
  // A further track of a session, or the first one: then the token's role says which kind.
  Session* session = nullptr;
  std::optional<Authorized> auth;
  core::TokenRole role = core::TokenRole::play;
  if (r.header("Session")) {
    auto in = auth_.authorize_in_session(c, r, SessionUse::start, reply);
    if (!in) return;
    session = &in->session;
    if (session->kind() == SessionKind::publisher) role = core::TokenRole::publish;
    auth = std::move(in->auth);
  } else {
    if (publishing_.announced_on(c)) role = core::TokenRole::publish;
    auth = auth_.authorize(r, role, reply);
    if (!auth) return;
  }
  auto spec = choose_transport(*specs, role);
  if (!spec) {
    reply.error(461, spec.error());
    return;
  }
  if (role == core::TokenRole::publish) {
    publishing_.setup(c, static_cast<PublisherSession*>(session), *auth, *spec, reply);
  } else {
    playing_.setup(c, static_cast<ViewerSession*>(session), *auth, *spec, reply);
  }
}

void RtspServer::handle_record(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  auto in = auth_.authorize_in_session(c, r, SessionUse::start, reply);
  if (!in) return;
  if (in->session.kind() != SessionKind::publisher) {
    reply.error(455, "RECORD is for a publishing session");
    return;
  }
  publishing_.record(static_cast<PublisherSession&>(in->session), reply);
}

void RtspServer::handle_play(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  auto in = auth_.authorize_in_session(c, r, SessionUse::start, reply);
  if (!in) return;
  if (in->session.kind() != SessionKind::viewer) {
    reply.error(455, "PLAY is for a viewing session");
    return;
  }
  playing_.play(static_cast<ViewerSession&>(in->session), in->auth, reply);
}

// ---- methods inside a session -------------------------------------------------------------------

void RtspServer::handle_options(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  // OPTIONS needs no token and always answers; it refreshes (and echoes) only a session the
  // request may use. A foreign id is ignored like an unknown one.
  if (r.header("Session")) {
    RtspReply probe;
    if (auth_.authorize_in_session(c, r, SessionUse::keep_alive, probe)) {
      reply.response.add("Session", std::string(probe.response.header("Session").value_or("")));
    }
  }
  reply.response.add("Public", std::string(kPublic));
}

void RtspServer::handle_keepalive(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  if (r.header("Session")) {
    auth_.authorize_in_session(c, r, SessionUse::keep_alive, reply);
    return;
  }
  if (!auth_.authorize(r, core::TokenRole::play, reply) && reply.response.status == 401) {
    // A publisher's keep-alive carries a publish token.
    reply.response.status = 200;
    reply.response.headers.erase(
        std::remove_if(reply.response.headers.begin(), reply.response.headers.end(),
                       [](const rtsp::Header& h) { return h.name == "Warning"; }),
        reply.response.headers.end());
    auth_.authorize(r, core::TokenRole::publish, reply);
  }
}

bool RtspServer::ended_on_this_connection(const RtspConnection& c,
                                          const rtsp::RtspRequest& r) const {
  const auto header = r.header("Session");
  const auto ended = torn_down_.find(c.id());
  return header && ended != torn_down_.end() && ended->second == session_id_of(*header);
}

void RtspServer::handle_pause(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  if (ended_on_this_connection(c, r)) return;
  auto in = auth_.authorize_in_session(c, r, SessionUse::keep_alive, reply);
  if (!in) return;
  Session& s = in->session;
  if (s.kind() == SessionKind::publisher) {
    // rtspclientsink sends PAUSE before TEARDOWN when it stops. A paused master holds its group
    // like a stalled one (viewers keep their sessions and get no new media); RECORD resumes it,
    // TEARDOWN or a closed connection ends it as always.
    if (static_cast<PublisherSession&>(s).recording()) {
      spdlog::info("group={} terminal={} step=708 master paused its media; the group holds",
                   s.group(), s.terminal());
    }
    return;
  }
  auto& viewer = static_cast<ViewerSession&>(s);
  viewer.media().pause(viewer.viewer());
}

void RtspServer::handle_teardown(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply) {
  if (ended_on_this_connection(c, r)) return;
  auto in = auth_.authorize_in_session(c, r, SessionUse::keep_alive, reply);
  if (!in) return;
  Session& s = in->session;
  const std::string id = s.id();
  const std::string group = s.group();
  torn_down_[c.id()] = id;
  if (s.kind() == SessionKind::publisher && static_cast<PublisherSession&>(s).recording()) {
    // The master ended its broadcast on purpose: no grace period. Its connection stays open (it
    // closes it itself, or the idle timeout does): a PAUSE crossing the TEARDOWN still gets 200.
    spdlog::info("group={} terminal={} step=709 master tore down its media", group, s.terminal());
    if (auto connection = s.connection.lock()) connection->forget_session(s);
    s.connection.reset();
    reply.after = [this, group] {
      (void)ctx_.directory.close_group(group, "master teardown", true);
    };
    return;
  }
  ctx_.directory.close_session(id, "teardown", false);
}

// ---- interleaved media --------------------------------------------------------------------------

void RtspServer::on_interleaved(RtspConnection& connection, std::uint8_t channel,
                                rtp::Bytes payload) {
  Session* session = connection.media_session();
  if (session == nullptr) {
    ++ctx_.counters.wrong_channel_packets;
    return;
  }
  if (session->kind() == SessionKind::publisher) {
    publisher_media(connection, channel, payload);
  } else {
    viewer_media(connection, channel, payload);
  }
}

void RtspServer::publisher_media(RtspConnection& c, std::uint8_t channel, rtp::Bytes payload) {
  auto& s = static_cast<PublisherSession&>(*c.media_session());
  const auto route = c.channel(channel);
  if (!route || !s.recording()) {
    ++ctx_.counters.wrong_channel_packets;
    ++s.wrong_channel_packets;
    return;
  }
  GroupMedia& media = *s.media();
  if (!s.receive(route->track, route->rtcp, payload, ctx_.time.now())) {
    ++ctx_.counters.malformed_rtp;
  }
  if (media.has_backlog()) ctx_.schedule_pacing();
  ctx_.directory.publisher_input_done(media);  // may close the group
}

void RtspServer::viewer_media(RtspConnection& c, std::uint8_t channel, rtp::Bytes payload) {
  // A TCP viewer's RTCP receiver report, or noise.
  auto& s = static_cast<ViewerSession&>(*c.media_session());
  const auto now = ctx_.time.now();
  s.last_activity = now;
  const auto route = c.channel(channel);
  if (!route || !route->rtcp) {
    ++ctx_.counters.wrong_channel_packets;
    return;
  }
  s.receive_rtcp(route->track, payload, now);
}

void RtspServer::on_read_done(RtspConnection& connection) {
  Session* session = connection.media_session();
  if (session == nullptr || session->kind() != SessionKind::publisher) return;
  if (GroupMedia* media = static_cast<PublisherSession*>(session)->media()) media->flush();
}

}  // namespace callcast::media
