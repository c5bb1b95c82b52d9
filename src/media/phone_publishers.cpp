#include "media/phone_publishers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/group_directory.hpp"
#include "media/phone_address.hpp"
#include "media/publisher_session.hpp"
#include "media/session_table.hpp"
#include "media/udp_router.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

namespace {

using control::ControlError;
using control::ControlErrorCode;

ControlError refused_publisher(std::string message) {
  return ControlError{ControlErrorCode::bad_request, std::move(message)};
}

// What may go into an SDP line unquoted: the request comes over HTTP, and a CR or LF would add
// lines of its own.
bool is_sdp_safe(std::string_view text, bool spaces) {
  return std::all_of(text.begin(), text.end(), [spaces](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f ? true : spaces && c == ' ';
  });
}

}  // namespace

Result<std::string, std::string> announced_sdp(
    const std::string& master, const std::vector<control::PhonePublishTrack>& tracks) {
  std::string sdp = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=phone " + master +
                    "\r\nc=IN IP4 0.0.0.0\r\n"
                    "t=0 0\r\n";
  bool video = false;
  bool audio = false;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const auto& t = tracks[i];
    bool& seen = t.media == "video" ? video : audio;
    if (t.media != "video" && t.media != "audio") {
      return fail("track " + std::to_string(i) + ": media '" + t.media +
                  "' (a phone publishes video and audio)");
    }
    if (seen) return fail("two " + t.media + " tracks (a phone publishes one of each)");
    seen = true;
    if (t.encoding.empty() || t.encoding.size() > 32 || !is_sdp_safe(t.encoding, false) ||
        t.encoding.find('/') != std::string::npos) {
      return fail("track " + std::to_string(i) + ": bad encoding name");
    }
    if (t.fmtp.size() > 1024 || !is_sdp_safe(t.fmtp, true)) {
      return fail("track " + std::to_string(i) + ": bad fmtp");
    }
    if (t.payload_type > 127 || t.clock_rate == 0) {
      return fail("track " + std::to_string(i) + ": bad payload type or clock rate");
    }
    const std::string pt = std::to_string(t.payload_type);
    sdp += "m=" + t.media + " 0 RTP/AVP " + pt + "\r\n";
    sdp += "a=rtpmap:" + pt + " " + t.encoding + "/" + std::to_string(t.clock_rate);
    if (t.media == "audio" && t.channels > 1) sdp += "/" + std::to_string(t.channels);
    sdp += "\r\n";
    if (!t.fmtp.empty()) sdp += "a=fmtp:" + pt + " " + t.fmtp + "\r\n";
    sdp += "a=control:trackID=" + std::to_string(i) + "\r\n";
  }
  return sdp;
}

Result<control::PhonePublisherStarted, ControlError> PhonePublishers::start(
    const control::PhonePublisherRequest& request) {
  if (auto allowed = ctx_.directory.may_publish(request.group, request.master); !allowed) {
    return fail(allowed.error());
  }
  if (request.tracks.empty()) return fail(refused_publisher("no track to receive"));
  auto text = announced_sdp(request.master, request.tracks);
  if (!text) return fail(refused_publisher(text.error()));
  auto sdp = sdp::SessionDescription::parse(*text);
  if (!sdp) return fail(refused_publisher("the tracks make no SDP: " + sdp.error()));
  auto tracks = describe_tracks(*sdp);
  if (!tracks) return fail(refused_publisher(tracks.error()));
  if (GroupMedia* media = ctx_.directory.media(request.group);
      media != nullptr && !media->compatible_with(*tracks)) {
    return fail(refused_publisher("the tracks differ from the running broadcast's"));
  }
  const auto signaling = parse_phone_address(request.signaling_address);
  std::vector<boost::asio::ip::address> sources;
  for (const auto& t : request.tracks) {
    const auto address = parse_phone_address(t.host);
    if (!address || t.rtp_port == 0 || t.rtcp_port == 0) {
      return fail(refused_publisher("unusable " + t.media + " source '" + t.host + ":" +
                                    std::to_string(t.rtp_port) + "'"));
    }
    sources.push_back(first_phone_destination(*address, signaling));
  }

  const auto now = ctx_.time.now();
  auto fresh = std::make_unique<PublisherSession>(ctx_.sessions.new_id(), request.group,
                                                  request.master, now, *tracks, std::move(*sdp));
  fresh->phone = true;
  fresh->udp = true;
  // Latching takes datagrams from this address only: the SIP source (a NAT's public address),
  // else the SDP's.
  fresh->peer = signaling ? *signaling : sources.front();
  PublisherSession& s = ctx_.sessions.add(std::move(fresh));
  for (std::size_t i = 0; i < request.tracks.size(); ++i) {
    const auto& t = request.tracks[i];
    s.udp_rtp_from[i] = UdpEndpoint(sources[i], t.rtp_port);
    s.udp_rtcp_from[i] = UdpEndpoint(sources[i], t.rtcp_port);
    ctx_.routes.add(s.udp_rtp_from[i], s, i);
    ctx_.routes.add(s.udp_rtcp_from[i], s, i);
    s.track_set_up[i] = true;
  }
  ctx_.routes.remember_unlatched(s);

  auto joined = ctx_.directory.registry().publisher_joined(request.group, request.master);
  if (!joined) {
    const std::string id = s.id();
    ctx_.directory.close_session(id, "refused", false);
    return fail(ControlError{
        ControlErrorCode::conflict,
        "group " + request.group + ": " + std::string(core::to_string(joined.error()))});
  }
  GroupMedia& media = ctx_.directory.start_recording(s);
  PublisherRtcpPath path;
  path.tcp = false;
  path.udp_rtcp = s.udp_rtcp_from;
  // Generic NACKs only to a phone whose answer agreed them (RFC 4585 §4.2: baresip offers
  // "nack pli" alone, keyframe requests, and never resends).
  path.nack = ctx_.config.publisher_nack &&
              std::any_of(request.tracks.begin(), request.tracks.end(),
                          [](const auto& t) { return t.media == "video" && t.nack; });
  media.set_publisher_rtcp(std::move(path));
  spdlog::info(
      "group={} terminal={} step=705 phone publishing over RTP from {}:{} ({} track(s): {}), "
      "live at once (706), pictures from its first keyframe",
      request.group, request.master, sources.front().to_string(), request.tracks.front().rtp_port,
      request.tracks.size(), [&] {
        std::string names;
        for (const auto& t : request.tracks)
          names += (names.empty() ? "" : ", ") + t.media + " " + t.encoding;
        return names;
      }());
  return control::PhonePublisherStarted{s.id()};
}

}  // namespace callcast::media
