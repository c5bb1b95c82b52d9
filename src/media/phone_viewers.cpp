#include "media/phone_viewers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "media/group_directory.hpp"
#include "media/phone_address.hpp"
#include "media/session_table.hpp"
#include "media/udp_router.hpp"
#include "media/viewer_session.hpp"
#include "transcode/target_audio_format.hpp"

namespace callcast::media {

namespace {

using control::ControlError;
using control::ControlErrorCode;

ControlError bad_request(std::string message) {
  return ControlError{ControlErrorCode::bad_request, std::move(message)};
}

std::optional<transcode::TargetAudioCodec> target_codec(std::string_view name) {
  using transcode::TargetAudioCodec;
  for (const auto codec : {TargetAudioCodec::pcmu, TargetAudioCodec::pcma, TargetAudioCodec::g722,
                           TargetAudioCodec::opus}) {
    const auto known = transcode::encoding_name(codec);
    if (name.size() == known.size() &&
        std::equal(name.begin(), name.end(), known.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return codec;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<control::PhoneViewerStarted, ControlError> PhoneViewers::start(
    const control::PhoneViewerRequest& request) {
  auto admitted = ctx_.directory.admitted_viewer_media(request.group, request.viewer);
  if (!admitted) return fail(admitted.error());
  GroupMedia* media = *admitted;
  if (request.tracks.empty()) return fail(bad_request("no track to send"));
  const auto signaling = parse_phone_address(request.signaling_address);

  // Which of the group's tracks each route takes, and where its packets go first.
  struct Planned {
    std::size_t track;
    UdpEndpoint rtp;
    UdpEndpoint rtcp;
  };
  std::vector<Planned> planned;
  PayloadTypes payload_types{};
  std::optional<transcode::TargetAudioFormat> audio_target;
  for (const auto& route : request.tracks) {
    std::optional<std::size_t> track;
    for (std::size_t t = 0; t < media->tracks().size() && !track; ++t) {
      if (media->tracks()[t].description().media == route.media) track = t;
    }
    if (!track)
      return fail(bad_request("group " + request.group + " has no " + route.media + " track"));
    if (payload_types[*track])
      return fail(bad_request("two routes for the " + route.media + " track"));
    auto address = parse_phone_address(route.host);
    if (!address || route.rtp_port == 0 || route.rtcp_port == 0) {
      return fail(bad_request("unusable " + route.media + " destination '" + route.host + ":" +
                              std::to_string(route.rtp_port) + "'"));
    }
    address = first_phone_destination(*address, signaling);
    if (!route.transcode_to.empty()) {
      const auto codec = target_codec(route.transcode_to);
      if (route.media != "audio" || !codec) {
        return fail(bad_request("cannot transcode " + route.media + " to '" + route.transcode_to +
                                "' (PCMU, PCMA, G722 or opus audio)"));
      }
      audio_target = transcode::TargetAudioFormat{*codec, route.payload_type,
                                                  std::max<std::uint8_t>(route.channels, 1), 0};
    }
    payload_types[*track] = route.payload_type;
    planned.push_back(
        {*track, UdpEndpoint(*address, route.rtp_port), UdpEndpoint(*address, route.rtcp_port)});
  }

  // One media session per admitted viewer: a new one replaces the old (the phone called again).
  if (Viewer* old = media->find_viewer_by_number(request.viewer)) {
    ctx_.directory.close_session(old->session_id, "replaced by a new call", true);
  }
  const auto now = ctx_.time.now();
  const std::string id = ctx_.sessions.new_id();
  Viewer& viewer = media->add_viewer(request.viewer, id, false, {}, now);
  viewer.kind = ViewerKind::phone;
  auto session =
      std::make_unique<ViewerSession>(id, request.group, request.viewer, now, *media, viewer);
  session->udp = true;
  // Latching takes datagrams from this address only: the SIP source (a NAT's public address),
  // else the SDP's.
  session->peer = signaling ? *signaling : planned.front().rtp.address();
  ViewerSession& s = ctx_.sessions.add(std::move(session));
  for (const auto& p : planned) {
    ViewerTrack& route = viewer.tracks[p.track];
    route.rtp = p.rtp;
    route.rtcp = p.rtcp;
    route.rtp_latched = route.rtcp_latched = false;
    route.feedback = false;  // no RTX format in a phone's answer: NACKs get the originals
    route.set_up = true;
    ctx_.routes.add(route.rtp, s, p.track);
    ctx_.routes.add(route.rtcp, s, p.track);
  }
  ctx_.routes.remember_unlatched(s);
  if (auto formed = media->use_stream_form(viewer, payload_types, audio_target); !formed) {
    spdlog::warn("group={} terminal={} step=714 event=phone_viewer_refused reason=\"{}\"",
                 request.group, request.viewer, formed.error());
    ctx_.directory.close_session(id, "refused", false);
    return fail(ControlError{ControlErrorCode::bad_request, formed.error()});
  }

  if (auto playing = ctx_.directory.registry().viewer_playing(request.group, request.viewer);
      !playing) {
    ctx_.directory.close_session(id, "refused", false);
    return fail(ControlError{
        ControlErrorCode::unauthorized,
        "viewer " + request.viewer + ": " + std::string(core::to_string(playing.error()))});
  }
  media->start_playing(viewer, now);
  media->start_delivery(viewer, now);
  if (!viewer.backlog.empty()) ctx_.schedule_pacing();
  spdlog::info(
      "group={} terminal={} step=714 phone viewer playing over RTP to {}:{} ({} track(s), audio "
      "{}, {} variant(s) of the stream) from {} cached packets",
      request.group, request.viewer, planned.front().rtp.address().to_string(),
      planned.front().rtp.port(), planned.size(),
      audio_target ? "transcoded to " + std::string(transcode::encoding_name(audio_target->codec))
                   : std::string("as relayed"),
      media->variants_in_use(), viewer.backlog.size());
  return control::PhoneViewerStarted{id};
}

}  // namespace callcast::media
