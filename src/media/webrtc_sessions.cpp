#include "media/webrtc_sessions.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/srtp_session.hpp"
#include "ice/ice_credentials.hpp"
#include "ice/ice_lite_session.hpp"
#include "ice/stun_message.hpp"
#include "media/group_directory.hpp"
#include "media/phone_publishers.hpp"
#include "media/publisher_session.hpp"
#include "media/session_table.hpp"
#include "media/udp_router.hpp"
#include "media/viewer_session.hpp"
#include "rtp/rtcp.hpp"
#include "sdp/session_description.hpp"
#include "transcode/target_audio_format.hpp"
#include "webrtc/webrtc_answer.hpp"
#include "webrtc/webrtc_codec_choice.hpp"
#include "webrtc/webrtc_offer.hpp"

namespace callcast::media {

// One browser's transport: its ICE-lite checks, its DTLS association, its SRTP keys.
struct WebRtcPeer {
  std::string session_id;
  std::string group;
  std::string viewer;
  ice::IceLiteSession ice;
  std::unique_ptr<dtls::DtlsTransport> dtls;
  std::shared_ptr<dtls::SrtpSession> srtp;
  std::optional<UdpEndpoint> selected;
  // The SSRC each of the group's tracks reaches this viewer under: its RTCP names them.
  std::array<std::uint32_t, kMaxTracks> ssrcs{};
  std::array<bool, kMaxTracks> sent{};
  Clock::time_point created;
  bool closing = false;
  // A broadcaster (WHIP): each track's payload type as answered, and the SSRCs its offer named.
  bool publisher = false;
  std::array<std::optional<std::uint8_t>, kMaxTracks> payload_types{};
  std::vector<std::pair<std::uint32_t, std::size_t>> source_ssrcs;
};

namespace {

using control::ControlError;
using control::ControlErrorCode;

// The reason of a session the browser ended with its DTLS close_notify (the page's Stop, or the
// page left): the network side ends a browser viewer's call on it (sip/viewer_media_end.hpp).
constexpr const char* kBrowserClosed = "the browser closed the connection";

ControlError webrtc_bad_request(std::string message) {
  return ControlError{ControlErrorCode::bad_request, std::move(message)};
}

std::string sps_profile_hex(const std::vector<std::uint8_t>& sps) {
  if (sps.size() < 4) return "42e01f";  // nothing in band yet: what our terminal publishes
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 1; i <= 3; ++i) {
    out += kHex[sps[i] >> 4];
    out += kHex[sps[i] & 0x0f];
  }
  return out;
}

// The media SSRC an RTCP packet is about (report block, feedback's media source), if any.
std::optional<std::uint32_t> reported_ssrc(const rtp::RtcpPacketView& packet) {
  const rtp::Bytes bytes = packet.bytes();
  const auto type = static_cast<rtp::RtcpType>(packet.type());
  if (type == rtp::RtcpType::receiver_report && packet.count() > 0 && bytes.size() >= 12) {
    return rtp::read_u32(bytes.data() + 8);
  }
  if ((type == rtp::RtcpType::transport_feedback || type == rtp::RtcpType::payload_feedback) &&
      bytes.size() >= 12) {
    return rtp::read_u32(bytes.data() + 8);
  }
  return std::nullopt;
}

}  // namespace

WebRtcSessions::WebRtcSessions(ServerContext& context) : ctx_(context) {}

WebRtcSessions::~WebRtcSessions() = default;

void WebRtcSessions::start(DatagramTransmitter& transmitter) {
  out_ = std::make_unique<DatagramBatcher>(
      transmitter, nullptr, DatagramBatcherCapacity{.messages = 64, .datagrams = 64});
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) {
    spdlog::error("media: no DTLS certificate, browsers cannot watch: {}", certificate.error());
    return;
  }
  certificate_ = std::move(*certificate);
  spdlog::info("media: WebRTC on the RTP port, DTLS certificate sha-256 {}",
               certificate_->fingerprint());
}

void WebRtcSessions::stop() {
  for (auto& [ufrag, peer] : peers_) {
    if (peer->dtls) peer->dtls->close();
  }
  if (out_) out_->flush();
  by_address_.clear();
  by_session_.clear();
  peers_.clear();
}

Result<std::string, ControlError> WebRtcSessions::token_holder(const std::string& token,
                                                               const std::string& group,
                                                               core::TokenRole role) const {
  auto claims = ctx_.directory.tokens().verify(token, ctx_.directory.unix_now());
  if (!claims) {
    return fail(ControlError{ControlErrorCode::unauthorized,
                             "the token is " + std::string(core::to_string(claims.error()))});
  }
  if (claims->group != group || claims->role != role) {
    return fail(ControlError{
        ControlErrorCode::unauthorized,
        "the token is not for " + std::string(core::to_string(role)) + " in group " + group});
  }
  return claims->terminal;
}

Result<control::WebRtcViewerStarted, ControlError> WebRtcSessions::start_viewer(
    const control::WebRtcViewerRequest& asked) {
  if (!certificate_) {
    return fail(ControlError{ControlErrorCode::unavailable, "WebRTC is not available here"});
  }
  control::WebRtcViewerRequest request = asked;
  if (!request.token.empty()) {
    // A WHEP player with the whep_url of an admission: the token names the viewer.
    auto holder = token_holder(request.token, request.group, core::TokenRole::play);
    if (!holder) return fail(holder.error());
    request.viewer = *holder;
  }
  auto admitted = ctx_.directory.admitted_viewer_media(request.group, request.viewer);
  if (!admitted) return fail(admitted.error());
  GroupMedia* media = *admitted;
  auto offer = webrtc::parse_webrtc_offer(request.offer);
  if (!offer) return fail(webrtc_bad_request("the WebRTC offer: " + offer.error()));

  // What each offered m= line gets: the group's video as H.264 in a profile the browser takes,
  // its audio as it is when the browser takes the codec, else as Opus (one transcoder a group).
  std::vector<webrtc::AnswerMedia> answers(offer->media.size());
  PayloadTypes payload_types{};
  std::optional<transcode::TargetAudioFormat> audio_target;
  std::array<bool, kMaxTracks> taken{};
  std::vector<std::pair<std::size_t, std::size_t>> line_tracks;  // (m= line, track)
  std::string refused;
  for (std::size_t m = 0; m < offer->media.size(); ++m) {
    const webrtc::OfferedMedia& line = offer->media[m];
    answers[m].accepted = false;
    answers[m].direction = "sendonly";
    answers[m].msid_stream = "callcast";
    if (line.rejected || (line.direction != "recvonly" && line.direction != "sendrecv")) continue;
    for (std::size_t t = 0; t < media->tracks().size(); ++t) {
      const TrackRelay& track = media->tracks()[t];
      if (taken[t] || track.description().media != line.kind) continue;
      std::optional<webrtc::ChosenCodec> chosen;
      const Codec codec = track.description().codec;
      if (codec == Codec::h264) {
        const std::string profile = sps_profile_hex(track.sequence_parameter_set());
        chosen = webrtc::choose_h264(line, profile);
        if (!chosen) {
          refused = "the broadcast's video is H.264 profile-level-id " + profile +
                    ", which this browser does not decode (browsers take baseline, constrained "
                    "baseline and main)";
        }
      } else if (line.kind == "audio") {
        std::string_view relayed;
        if (codec == Codec::opus) relayed = "opus";
        if (codec == Codec::pcmu) relayed = "PCMU";
        if (codec == Codec::pcma) relayed = "PCMA";
        if (codec == Codec::g722) relayed = "G722";
        if (!relayed.empty()) {
          const std::array<std::string_view, 1> as_is{relayed};
          chosen = webrtc::choose_audio(line, as_is);
        }
        if (!chosen) {
          static constexpr std::array<std::string_view, 1> kOpus{"opus"};
          chosen = webrtc::choose_audio(line, kOpus);
          if (chosen) {
            audio_target = transcode::TargetAudioFormat{transcode::TargetAudioCodec::opus,
                                                        chosen->payload_type, 2, 0};
          }
        }
      }
      if (!chosen) continue;
      chosen->rtx_payload_type.reset();  // no RTX answered: NACKs get the original packets
      taken[t] = true;
      payload_types[t] = chosen->payload_type;
      answers[m].accepted = true;
      answers[m].codec = std::move(*chosen);
      line_tracks.emplace_back(m, t);
      break;
    }
  }
  if (line_tracks.empty()) {
    return fail(webrtc_bad_request(
        refused.empty() ? "the offer asks for nothing this broadcast sends (it needs a recvonly "
                          "video or audio line in a codec of the broadcast: H.264, Opus)"
                        : refused));
  }

  // One media session per admitted viewer: a new one replaces the old (the page reloaded).
  if (Viewer* old = media->find_viewer_by_number(request.viewer)) {
    ctx_.directory.close_session(old->session_id, "replaced by a new call", true);
  }
  const auto now = ctx_.time.now();
  const std::string id = ctx_.sessions.new_id();
  Viewer& viewer = media->add_viewer(request.viewer, id, false, {}, now);
  viewer.kind = ViewerKind::browser;
  auto session =
      std::make_unique<ViewerSession>(id, request.group, request.viewer, now, *media, viewer);
  session->udp = true;
  boost::system::error_code unparsed;
  const auto address = boost::asio::ip::make_address(request.source_address, unparsed);
  if (!unparsed) session->peer = address;
  ctx_.sessions.add(std::move(session));
  for (const auto& [m, t] : line_tracks) {
    ViewerTrack& route = viewer.tracks[t];
    route.set_up = true;
    route.feedback = false;  // no RTX answered: NACKs get the original packets
    route.rtp_latched = route.rtcp_latched = true;  // ICE decides where its packets go
  }
  if (auto formed = media->use_stream_form(viewer, payload_types, audio_target); !formed) {
    ctx_.directory.close_session(id, "refused", false);
    return fail(webrtc_bad_request(formed.error()));
  }

  WebRtcPeer& peer = add_peer(id, request, offer->media.front().ice_ufrag,
                              offer->media.front().ice_pwd, offer->media.front().fingerprint, now);
  for (const auto& [m, t] : line_tracks) {
    peer.ssrcs[t] = media->ssrc_for(viewer, t);
    peer.sent[t] = true;
    answers[m].ssrc = peer.ssrcs[t];
  }

  std::string answer = webrtc::build_webrtc_answer(*offer, answer_params(peer), answers);
  spdlog::info(
      "group={} terminal={} step=714 event=webrtc_viewer_offered session={} tracks={} audio={} "
      "peer={} candidate={}:{}",
      request.group, request.viewer, id, line_tracks.size(),
      audio_target ? "transcoded to opus" : "as relayed", request.source_address,
      ctx_.directory.public_host(), ctx_.bound.rtp_ports.rtp);
  return control::WebRtcViewerStarted{id, std::move(answer)};
}

WebRtcPeer& WebRtcSessions::add_peer(std::string session_id,
                                     const control::WebRtcViewerRequest& names,
                                     const std::string& remote_ufrag,
                                     const std::string& remote_password,
                                     const std::string& remote_fingerprint, Clock::time_point now) {
  auto peer = std::make_unique<WebRtcPeer>(WebRtcPeer{
      std::move(session_id),
      names.group,
      names.viewer,
      ice::IceLiteSession(ice::IceCredentials::generate(), remote_ufrag, remote_password, now),
      nullptr,
      nullptr,
      std::nullopt,
      {},
      {},
      now,
      false,
      false,
      {},
      {}});
  WebRtcPeer* p = peer.get();
  peer->dtls = std::make_unique<dtls::DtlsTransport>(
      certificate_, dtls::DtlsRole::server, remote_fingerprint,
      [this, p](std::span<const std::uint8_t> datagram) {
        if (p->selected) send(*p->selected, rtp::Bytes(datagram.data(), datagram.size()));
      });
  by_session_[peer->session_id] = p;
  peers_.emplace(peer->ice.local().ufrag, std::move(peer));
  return *p;
}

webrtc::WebRtcAnswerParams WebRtcSessions::answer_params(const WebRtcPeer& peer) {
  webrtc::WebRtcAnswerParams params;
  params.ice_ufrag = peer.ice.local().ufrag;
  params.ice_pwd = peer.ice.local().password;
  params.fingerprint = certificate_->fingerprint();
  params.candidate_address = ctx_.directory.public_host();
  params.candidate_port = ctx_.bound.rtp_ports.rtp;
  params.session_id = ++session_version_;
  params.cname = "callcast-" + peer.group;
  return params;
}

Result<control::WebRtcViewerStarted, ControlError> WebRtcSessions::start_publisher(
    const control::WebRtcPublisherRequest& asked) {
  if (!certificate_) {
    return fail(ControlError{ControlErrorCode::unavailable, "WebRTC is not available here"});
  }
  control::WebRtcPublisherRequest request = asked;
  if (!request.token.empty()) {
    // A WHIP client with the whip_url of a group creation: the token names the master.
    auto holder = token_holder(request.token, request.group, core::TokenRole::publish);
    if (!holder) return fail(holder.error());
    request.master = *holder;
  }
  if (auto allowed = ctx_.directory.may_publish(request.group, request.master); !allowed) {
    return fail(allowed.error());
  }
  auto offer = webrtc::parse_webrtc_offer(request.offer);
  if (!offer) return fail(webrtc_bad_request("the WebRTC offer: " + offer.error()));

  // The browser's camera as H.264 (what phones and browsers decode), its microphone as Opus.
  std::vector<webrtc::AnswerMedia> answers(offer->media.size());
  std::vector<control::PhonePublishTrack> tracks;
  std::vector<std::pair<std::uint32_t, std::size_t>> source_ssrcs;
  for (std::size_t m = 0; m < offer->media.size(); ++m) {
    const webrtc::OfferedMedia& line = offer->media[m];
    answers[m].accepted = false;
    answers[m].direction = "recvonly";
    if (line.rejected || (line.direction != "sendonly" && line.direction != "sendrecv")) continue;
    std::optional<webrtc::ChosenCodec> chosen;
    if (line.kind == "video") {
      chosen = webrtc::choose_h264_for_ingest(line);
    } else if (line.kind == "audio") {
      static constexpr std::array<std::string_view, 1> kOpus{"opus"};
      chosen = webrtc::choose_audio(line, kOpus);
    }
    const bool taken = std::any_of(tracks.begin(), tracks.end(),
                                   [&](const auto& t) { return t.media == line.kind; });
    if (!chosen || taken) continue;
    chosen->rtx_payload_type.reset();  // no RTX: NACKed packets come again as they were
    control::PhonePublishTrack track;
    track.media = line.kind;
    track.encoding = chosen->encoding;
    track.clock_rate = chosen->clock_rate;
    track.channels = chosen->channels;
    track.payload_type = chosen->payload_type;
    track.fmtp = chosen->fmtp;
    const auto has = [&](std::string_view fb) {
      return std::find(chosen->feedback.begin(), chosen->feedback.end(), fb) !=
             chosen->feedback.end();
    };
    track.nack = has("nack");
    track.pli = has("nack pli");
    track.fir = has("ccm fir");
    for (const std::uint32_t ssrc : line.ssrcs)
      source_ssrcs.emplace_back(ssrc, tracks.size());
    tracks.push_back(std::move(track));
    answers[m].accepted = true;
    answers[m].codec = std::move(*chosen);
  }
  if (tracks.empty()) {
    return fail(webrtc_bad_request(
        "the offer sends nothing a broadcast can carry (a sendonly H.264 video line, packetization "
        "mode 1, or an Opus audio line)"));
  }
  auto text = announced_sdp(request.master, tracks);
  if (!text) return fail(webrtc_bad_request(text.error()));
  auto sdp = sdp::SessionDescription::parse(*text);
  if (!sdp) return fail(webrtc_bad_request("the tracks make no SDP: " + sdp.error()));
  auto described = describe_tracks(*sdp);
  if (!described) return fail(webrtc_bad_request(described.error()));
  if (GroupMedia* media = ctx_.directory.media(request.group);
      media != nullptr && !media->compatible_with(*described)) {
    return fail(webrtc_bad_request("the tracks differ from the running broadcast's"));
  }

  const auto now = ctx_.time.now();
  auto fresh = std::make_unique<PublisherSession>(ctx_.sessions.new_id(), request.group,
                                                  request.master, now, *described, std::move(*sdp));
  fresh->webrtc = true;
  fresh->udp = true;
  boost::system::error_code unparsed;
  const auto address = boost::asio::ip::make_address(request.source_address, unparsed);
  if (!unparsed) fresh->peer = address;
  for (std::size_t i = 0; i < tracks.size(); ++i)
    fresh->track_set_up[i] = true;
  PublisherSession& s = ctx_.sessions.add(std::move(fresh));
  const std::string id = s.id();
  auto joined = ctx_.directory.registry().publisher_joined(request.group, request.master);
  if (!joined) {
    ctx_.directory.close_session(id, "refused", false);
    return fail(ControlError{
        ControlErrorCode::conflict,
        "group " + request.group + ": " + std::string(core::to_string(joined.error()))});
  }
  GroupMedia& media = ctx_.directory.start_recording(s);
  PublisherRtcpPath path;
  path.tcp = false;  // its address comes with ICE, its keys with DTLS (keyed())
  path.nack = ctx_.config.publisher_nack;
  media.set_publisher_rtcp(std::move(path));

  WebRtcPeer& peer =
      add_peer(id, control::WebRtcViewerRequest{request.group, request.master, {}, {}, {}},
               offer->media.front().ice_ufrag, offer->media.front().ice_pwd,
               offer->media.front().fingerprint, now);
  peer.publisher = true;
  for (std::size_t i = 0; i < tracks.size(); ++i)
    peer.payload_types[i] = tracks[i].payload_type;
  peer.source_ssrcs = std::move(source_ssrcs);
  std::string answer = webrtc::build_webrtc_answer(*offer, answer_params(peer), answers);
  spdlog::info(
      "group={} terminal={} step=705 event=webrtc_publisher_offered session={} tracks={} "
      "peer={}, live at once (706), pictures from its first keyframe",
      request.group, request.master, id, tracks.size(), request.source_address);
  return control::WebRtcViewerStarted{id, std::move(answer)};
}

std::optional<WebRtcSessions::OpenedPacket> WebRtcSessions::open_publisher_packet(
    const PublisherSession& session, bool rtcp, rtp::Bytes data) {
  auto it = by_session_.find(session.id());
  if (it == by_session_.end() || !it->second->srtp || data.size() > plain_.size() ||
      data.size() < 12) {
    return std::nullopt;
  }
  WebRtcPeer& peer = *it->second;
  std::copy(data.begin(), data.end(), plain_.begin());
  const std::span<std::uint8_t> buffer(plain_);
  auto opened = rtcp ? peer.srtp->unprotect_rtcp(buffer, data.size())
                     : peer.srtp->unprotect_rtp(buffer, data.size());
  if (!opened) {
    ++ctx_.counters.webrtc_srtcp_rejected;
    return std::nullopt;
  }
  const rtp::Bytes plain(plain_.data(), *opened);
  if (rtcp) {
    // Its sender reports (lip sync for every viewer): the track of the SSRC it names.
    const std::uint32_t sender = rtp::read_u32(plain.data() + 4);
    for (const auto& [ssrc, track] : peer.source_ssrcs) {
      if (ssrc == sender) return OpenedPacket{track, plain};
    }
    return OpenedPacket{0, plain};
  }
  const std::uint8_t payload_type = plain[1] & 0x7FU;
  for (std::size_t t = 0; t < kMaxTracks; ++t) {
    if (peer.payload_types[t] == payload_type) return OpenedPacket{t, plain};
  }
  ++ctx_.counters.malformed_rtp;  // a payload type it was not answered
  return std::nullopt;
}

void WebRtcSessions::on_datagram(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now) {
  if (data.empty()) return;
  if (data[0] < 4) return on_stun(from, data, now);
  if (data[0] >= 20 && data[0] < 64) return on_dtls(from, data, now);
  ++ctx_.counters.unknown_udp_datagrams;
}

void WebRtcSessions::on_stun(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now) {
  const std::span<const std::uint8_t> raw(data.data(), data.size());
  auto message = ice::parse_stun(raw);
  if (!message || !message->is_binding_request()) {
    ++ctx_.counters.webrtc_stun_refused;
    return;  // a response or an indication: nothing a lite agent asked for
  }
  const auto ufrag = ice::IceLiteSession::local_ufrag_of(*message);
  auto it = ufrag ? peers_.find(*ufrag) : peers_.end();
  if (it == peers_.end()) {
    // RFC 8445 §7.3: a request for credentials we do not know gets 401, without integrity.
    auto refusal = ice::binding_error(*message, 401, "Unauthorized", std::nullopt);
    send(from, rtp::Bytes(refusal.data(), refusal.size()));
    ++ctx_.counters.webrtc_stun_refused;
    return;
  }
  WebRtcPeer& peer = *it->second;
  const ice::IceReply reply = peer.ice.on_binding_request(raw, *message, from, now);
  if (!reply.response.empty()) send(from, rtp::Bytes(reply.response.data(), reply.response.size()));
  if (!reply.valid) {
    ++ctx_.counters.webrtc_stun_refused;
    spdlog::debug("group={} terminal={} webrtc stun check refused from {}: {}", peer.group,
                  peer.viewer, from.address().to_string(), reply.error);
    return;
  }
  // The first valid check's address carries DTLS until a nomination says otherwise.
  if (!peer.selected || (reply.nominated && *peer.selected != from)) select(peer, from);
}

void WebRtcSessions::select(WebRtcPeer& peer, const UdpEndpoint& to) {
  if (!session_exists(peer)) return;
  if (peer.selected) by_address_.erase(*peer.selected);
  const bool moved = peer.selected.has_value();
  peer.selected = to;
  by_address_[to] = &peer;
  spdlog::info("group={} terminal={} step={} event=webrtc_ice_selected address={}:{}", peer.group,
               peer.viewer, peer.publisher ? 705 : 714, to.address().to_string(), to.port());
  if (PublisherSession* publisher = publisher_of(peer)) {
    ctx_.routes.add(to, *publisher, 0);
    // Where its media comes from, as the group snapshot shows a publisher (BUNDLE: one 5-tuple).
    for (std::size_t t = 0; t < kMaxTracks; ++t) {
      if (peer.payload_types[t]) publisher->udp_rtp_from[t] = publisher->udp_rtcp_from[t] = to;
    }
    if (moved && peer.srtp) keyed(peer, ctx_.time.now());  // its RTCP goes to the new address
    return;
  }
  // A session that is no publisher's is a viewer's; the kind is checked here all the same, where
  // the session is used, rather than trusted from session_exists() above.
  ViewerSession* session = session_of(peer);
  if (session == nullptr) return;
  Viewer& viewer = session->viewer();
  for (std::size_t t = 0; t < kMaxTracks; ++t) {
    if (!viewer.tracks[t].set_up) continue;
    viewer.tracks[t].rtp = to;
    viewer.tracks[t].rtcp = to;  // rtcp-mux
  }
  ctx_.routes.add(to, *session, 0);
  if (moved && peer.srtp) session->media().redirect(viewer);
}

void WebRtcSessions::on_dtls(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now) {
  auto it = by_address_.find(from);
  if (it == by_address_.end()) {
    ++ctx_.counters.unknown_udp_datagrams;
    return;
  }
  WebRtcPeer& peer = *it->second;
  peer.dtls->receive(std::span<const std::uint8_t>(data.data(), data.size()));
  if (out_) out_->flush();
  if (peer.dtls->state() == dtls::DtlsState::connected && !peer.srtp) keyed(peer, now);
  // Its close_notify ends the session now rather than at the next sweep: with the page's
  // DELETE, the first of the two ends it.
  if (peer.dtls->state() == dtls::DtlsState::closed) close(peer, kBrowserClosed, true);
}

void WebRtcSessions::keyed(WebRtcPeer& peer, Clock::time_point now) {
  if (!session_exists(peer)) return;
  if (!peer.srtp) {
    auto srtp = dtls::SrtpSession::create(*peer.dtls->keys());
    if (!srtp) {
      spdlog::warn("group={} terminal={} event=webrtc_failed reason=\"SRTP: {}\"", peer.group,
                   peer.viewer, srtp.error());
      return close(peer, "SRTP could not start: " + srtp.error());
    }
    peer.srtp = std::shared_ptr<dtls::SrtpSession>(std::move(*srtp));
  }
  if (PublisherSession* publisher = publisher_of(peer)) {
    // Keyframe requests, NACKs and bitrate requests go to the browser as SRTCP from now on.
    if (GroupMedia* media = publisher->media()) {
      PublisherRtcpPath path;
      path.tcp = false;
      path.nack = ctx_.config.publisher_nack;
      path.srtp = peer.srtp;
      path.receiver_reports = true;
      for (std::size_t t = 0; t < kMaxTracks; ++t) {
        if (peer.payload_types[t]) path.udp_rtcp[t] = *peer.selected;
      }
      media->set_publisher_rtcp(std::move(path));
    }
    spdlog::info(
        "group={} terminal={} step=705 event=webrtc_publisher_keyed session={} address={}:{} "
        "after_ms={}",
        peer.group, peer.viewer, peer.session_id, peer.selected->address().to_string(),
        peer.selected->port(),
        std::chrono::duration_cast<std::chrono::milliseconds>(now - peer.created).count());
    return;
  }
  ViewerSession* session = session_of(peer);  // checked where used, as in select()
  if (session == nullptr) return;
  Viewer& viewer = session->viewer();
  viewer.srtp = peer.srtp;
  if (auto playing = ctx_.directory.registry().viewer_playing(peer.group, peer.viewer); !playing) {
    return close(peer,
                 "viewer " + peer.viewer + ": " + std::string(core::to_string(playing.error())));
  }
  GroupMedia& media = session->media();
  media.start_playing(viewer, now);
  media.start_delivery(viewer, now);
  if (!viewer.backlog.empty()) ctx_.schedule_pacing();
  spdlog::info(
      "group={} terminal={} step=714 event=webrtc_viewer_playing session={} address={}:{} "
      "after_ms={} cached_packets={}",
      peer.group, peer.viewer, peer.session_id, peer.selected->address().to_string(),
      peer.selected->port(),
      std::chrono::duration_cast<std::chrono::milliseconds>(now - peer.created).count(),
      viewer.backlog.size());
}

void WebRtcSessions::on_srtp(ViewerSession& session, rtp::Bytes data, Clock::time_point now) {
  Viewer& viewer = session.viewer();
  if (!viewer.srtp || data.size() < 8) return;
  if (data[1] < 192 || data[1] > 223) return;  // RTP from a viewer: nothing to do with it
  std::array<std::uint8_t, 1500> plain{};
  if (data.size() > plain.size()) return;
  std::copy(data.begin(), data.end(), plain.begin());
  auto opened = viewer.srtp->unprotect_rtcp(std::span<std::uint8_t>(plain), data.size());
  if (!opened) {
    ++ctx_.counters.webrtc_srtcp_rejected;
    return;
  }
  const rtp::Bytes compound(plain.data(), *opened);
  auto parsed = rtp::RtcpCompoundView::parse(compound);
  if (!parsed) {
    ++ctx_.counters.malformed_rtp;
    return;
  }
  // BUNDLE: one compound speaks of every track; each packet goes to the track it names.
  for (const auto& packet : *parsed) {
    const auto ssrc = reported_ssrc(packet);
    if (!ssrc) continue;
    for (std::size_t t = 0; t < kMaxTracks; ++t) {
      if (!viewer.tracks[t].set_up || session.media().ssrc_for(viewer, t) != *ssrc) continue;
      session.receive_rtcp(t, packet.bytes(), now);
      break;
    }
  }
}

void WebRtcSessions::sweep(Clock::time_point now) {
  std::vector<std::string> gone;
  for (auto& [ufrag, peer] : peers_) {
    if (!session_exists(*peer)) {
      // Its session was closed elsewhere (BYE, DELETE, timeout): tell the browser at once.
      if (peer->dtls->state() == dtls::DtlsState::connected) peer->dtls->close();
      gone.push_back(ufrag);
      continue;
    }
    if (auto due = peer->dtls->next_timeout(); due && due->count() <= 0) peer->dtls->on_timeout();
    if (peer->dtls->state() == dtls::DtlsState::failed) {
      close(*peer, "DTLS failed: " + peer->dtls->error());
    } else if (peer->dtls->state() == dtls::DtlsState::closed) {
      close(*peer, kBrowserClosed, true);
    } else if (peer->ice.consent_expired(now, ctx_.config.webrtc_consent_timeout)) {
      close(*peer, "ICE consent expired (no connectivity check for " +
                       std::to_string(ctx_.config.webrtc_consent_timeout.count()) + " s)");
    }
    if (peer->closing) gone.push_back(ufrag);
  }
  if (out_) out_->flush();
  for (const auto& ufrag : gone)
    forget(ufrag);
}

void WebRtcSessions::send(const UdpEndpoint& to, rtp::Bytes datagram) {
  if (!out_) return;
  // Copied into a packet the batcher keeps until it is sent.
  auto copy = std::make_shared<RelayPacket>();
  copy->bytes.assign(datagram.begin(), datagram.end());
  out_->enqueue(to, SharedPacket(std::move(copy)), nullptr);
  out_->flush();
}

ViewerSession* WebRtcSessions::session_of(const WebRtcPeer& peer) const {
  Session* session = ctx_.sessions.find(peer.session_id);
  if (session == nullptr || session->kind() != SessionKind::viewer) return nullptr;
  return static_cast<ViewerSession*>(session);
}

PublisherSession* WebRtcSessions::publisher_of(const WebRtcPeer& peer) const {
  Session* session = ctx_.sessions.find(peer.session_id);
  if (session == nullptr || session->kind() != SessionKind::publisher) return nullptr;
  return static_cast<PublisherSession*>(session);
}

bool WebRtcSessions::session_exists(const WebRtcPeer& peer) const {
  return ctx_.sessions.find(peer.session_id) != nullptr;
}

void WebRtcSessions::close(WebRtcPeer& peer, const std::string& reason, bool hung_up) {
  // Closing already, or its session ended elsewhere (the DELETE came first): nothing more.
  if (peer.closing || !session_exists(peer)) return;
  peer.closing = true;
  // The page ends its session at once on it (Chromium else waits ~15 s for its own timeout).
  if (peer.dtls->state() == dtls::DtlsState::connected) peer.dtls->close();
  spdlog::info("group={} terminal={} step={} event=webrtc_{}_closed reason=\"{}\"", peer.group,
               peer.viewer, peer.publisher ? 705 : 714, peer.publisher ? "publisher" : "viewer",
               reason);
  // A broadcaster that hung up ends its group as the master's BYE does (703; the network side
  // ends the calls and clears forwarding on group_closed): a closed DTLS association does not
  // come back, so no grace. A lost one (consent) waits out the grace, as a lost RTSP connection.
  // The group's reason is the master's: its viewers' sessions end with it, and the network side
  // must not read their end as their own browsers closing.
  if (PublisherSession* publisher = publisher_of(peer);
      hung_up && publisher != nullptr && publisher->recording()) {
    (void)ctx_.directory.close_group(peer.group, "master hung up: " + reason, false);
    return;
  }
  ctx_.directory.close_session(peer.session_id, reason, true);
}

void WebRtcSessions::forget(const std::string& ufrag) {
  auto it = peers_.find(ufrag);
  if (it == peers_.end()) return;
  if (it->second->selected) by_address_.erase(*it->second->selected);
  by_session_.erase(it->second->session_id);
  peers_.erase(it);
}

}  // namespace callcast::media
