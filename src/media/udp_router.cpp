// Symmetric RTP latching (RFC 4961 style) for viewers that receive over UDP (step 709).
//
// A viewer behind a masquerading router sends RTSP from the router's public address, but its
// SETUP's client_port is the private port of its player; the router may map that port to another
// public one. Players open the mapping by sending from their RTP and RTCP ports to our
// server_port (ffmpeg's punch packets, GStreamer rtspsrc's dummy packets, then receiver reports).
// Until such a datagram arrives, media goes to (RTSP peer address, client_port), as SETUP said;
// from the first one on, it goes where the datagram came from. Only datagrams from the RTSP
// peer's address can latch a session's track, and only a track that is not latched yet: a
// datagram from anywhere else never redirects anybody (it is counted and dropped).
// A phone publishing over plain RTP (issue 13) is latched the same way, from its SIP source
// address: its RTP by payload type, its RTCP by the SSRC its RTP showed.
#include "media/udp_router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <tuple>
#include <vector>

#include "media/group_media.hpp"
#include "media/publisher_session.hpp"
#include "media/viewer_session.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::media {

namespace {

std::string endpoint_text(const UdpEndpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

bool fully_latched(const Viewer& viewer) {
  return std::all_of(viewer.tracks.begin(), viewer.tracks.end(), [](const ViewerTrack& t) {
    return !t.set_up || (t.rtp_latched && t.rtcp_latched);
  });
}

// What an RTCP compound tells about the player that sent it: its own SSRC and the SSRCs of the
// streams it reports on (ours: one per track of the group).
struct RtcpSender {
  std::optional<std::uint32_t> ssrc;
  std::vector<std::uint32_t> reported;
};

RtcpSender rtcp_sender(rtp::Bytes data) {
  RtcpSender out;
  auto compound = rtp::RtcpCompoundView::parse(data);
  if (!compound) return out;
  for (const auto& packet : *compound) {
    if (auto rr = rtp::parse_receiver_report(packet)) {
      if (!out.ssrc) out.ssrc = rr->sender_ssrc;
      for (std::size_t i = 0; i < rr->block_count; ++i)
        out.reported.push_back(rr->blocks[i].ssrc);
    } else if (auto sr = rtp::parse_sender_report(packet)) {
      if (!out.ssrc) out.ssrc = sr->sender.ssrc;
      for (std::size_t i = 0; i < sr->block_count; ++i)
        out.reported.push_back(sr->blocks[i].ssrc);
    }
  }
  return out;
}

}  // namespace

const UdpRoute* UdpRouter::find(const UdpEndpoint& from) const {
  auto route = routes_.find(from);
  return route == routes_.end() ? nullptr : &route->second;
}

void UdpRouter::add(const UdpEndpoint& from, Session& session, std::size_t track) {
  routes_[from] = {&session, track};
}

void UdpRouter::forget(const Session& session) {
  for (auto route = routes_.begin(); route != routes_.end();) {
    route = route->second.session == &session ? routes_.erase(route) : std::next(route);
  }
  forget_unlatched(session);
}

void UdpRouter::remember_unlatched(ViewerSession& s) {
  auto [first, last] = unlatched_.equal_range(s.peer);
  if (std::none_of(first, last, [&](const auto& entry) { return entry.second == &s; })) {
    unlatched_.emplace(s.peer, &s);
  }
}

void UdpRouter::remember_unlatched(PublisherSession& s) {
  unlatched_publishers_.emplace(s.peer, &s);
}

void UdpRouter::forget_unlatched(const Session& s) {
  auto drop = [&](auto& unlatched) {
    auto [first, last] = unlatched.equal_range(s.peer);
    for (auto it = first; it != last; ++it) {
      if (it->second == &s) {
        unlatched.erase(it);
        return;
      }
    }
  };
  drop(unlatched_);
  drop(unlatched_publishers_);
}

void UdpRouter::confirm_latched(ViewerSession& s, std::size_t track, bool rtcp,
                                const UdpEndpoint& from) {
  Viewer& viewer = s.viewer();
  auto& t = viewer.tracks[track];
  // Already latched (learnt from an earlier datagram, or confirmed): nothing new about the other
  // port of the pair.
  if (rtcp ? t.rtcp_latched : t.rtp_latched) return;
  if (from == (rtcp ? t.rtcp : t.rtp)) {
    // A datagram from the very port SETUP named: no NAT in between, or one that kept the ports,
    // so the other port of the pair is taken as it was given too.
    t.rtp_latched = true;
    t.rtcp_latched = true;
  }
  if (fully_latched(viewer)) forget_unlatched(s);
}

bool UdpRouter::latch(bool rtcp, const UdpEndpoint& from, rtp::Bytes data) {
  return latch_viewer(rtcp, from, data) || latch_publisher(rtcp, from, data);
}

bool UdpRouter::latch_publisher(bool rtcp, const UdpEndpoint& from, rtp::Bytes data) {
  auto [first, last] = unlatched_publishers_.equal_range(from.address());
  if (first == last) return false;
  PublisherSession* chosen = nullptr;
  std::size_t track = 0;
  std::optional<std::uint32_t> ssrc;
  if (!rtcp) {
    // RTP: the track of its payload type (a phone sends each stream under the type answered).
    // Audio and video may share a number (two m= lines, two spaces): then nothing is guessed,
    // and only the ports its SDP said are routed.
    auto packet = rtp::RtpPacketView::parse(data);
    if (!packet) return false;
    ssrc = packet->ssrc();
    std::size_t matches = 0;
    for (auto it = first; it != last; ++it) {
      PublisherSession& s = *it->second;
      for (const auto& t : s.tracks()) {
        if (!s.rtp_latched[t.index] && t.payload_type == packet->payload_type()) {
          chosen = &s;
          track = t.index;
          ++matches;
        }
      }
    }
    if (matches > 1) chosen = nullptr;
  } else {
    // RTCP: the track whose RTP came with the sender's SSRC; else the only track left unlatched.
    const RtcpSender sender = rtcp_sender(data);
    std::vector<std::pair<PublisherSession*, std::size_t>> open;
    for (auto it = first; it != last && chosen == nullptr; ++it) {
      PublisherSession& s = *it->second;
      for (const auto& t : s.tracks()) {
        if (s.rtcp_latched[t.index]) continue;
        if (sender.ssrc && s.source_ssrc[t.index] == sender.ssrc) {
          chosen = &s;
          track = t.index;
          break;
        }
        open.emplace_back(&s, t.index);
      }
    }
    if (chosen == nullptr && open.size() == 1) std::tie(chosen, track) = open.front();
  }
  if (chosen == nullptr) {
    ++counters_.udp_latch_ambiguous;
    return false;
  }
  PublisherSession& s = *chosen;
  UdpEndpoint& source = rtcp ? s.udp_rtcp_from[track] : s.udp_rtp_from[track];
  if (auto old = routes_.find(source);
      old != routes_.end() && old->second.session == &s && old->second.track == track) {
    routes_.erase(old);
  }
  const UdpEndpoint was = source;
  source = from;
  (rtcp ? s.rtcp_latched : s.rtp_latched)[track] = true;
  if (ssrc) s.source_ssrc[track] = ssrc;
  routes_[from] = {&s, track};
  ++counters_.udp_destinations_latched;
  spdlog::info(
      "group={} terminal={} step=705 phone publisher behind a NAT: its {} of track {} comes from "
      "{} (its SDP said {})",
      s.group(), s.terminal(), rtcp ? "RTCP" : "RTP", track, endpoint_text(from),
      endpoint_text(was));
  // Keyframe requests and NACKs go where its RTCP comes from.
  if (rtcp && s.media() != nullptr) s.media()->set_publisher_rtcp_destination(track, from);
  const bool all = std::all_of(s.tracks().begin(), s.tracks().end(), [&](const auto& t) {
    return s.rtp_latched[t.index] && s.rtcp_latched[t.index];
  });
  if (all) forget_unlatched(s);
  return true;
}

bool UdpRouter::latch_viewer(bool rtcp, const UdpEndpoint& from, rtp::Bytes data) {
  auto [first, last] = unlatched_.equal_range(from.address());
  if (first == last) return false;
  struct Candidate {
    ViewerSession* session;
    GroupMedia* media;
    Viewer* viewer;
    std::size_t track;
  };
  std::vector<Candidate> candidates;
  for (auto it = first; it != last; ++it) {
    ViewerSession* s = it->second;
    GroupMedia* media = &s->media();
    Viewer* viewer = &s->viewer();
    if (viewer->tcp) continue;
    for (std::size_t t = 0; t < media->tracks().size(); ++t) {
      const auto& vt = viewer->tracks[t];
      if (vt.set_up && !(rtcp ? vt.rtcp_latched : vt.rtp_latched)) {
        candidates.push_back({s, media, viewer, t});
      }
    }
  }

  // Keeps the candidates `pick` accepts, unless none would be left.
  auto narrow = [&](auto pick) {
    std::vector<Candidate> kept;
    std::copy_if(candidates.begin(), candidates.end(), std::back_inserter(kept), pick);
    if (!kept.empty()) candidates = std::move(kept);
  };
  if (rtcp && candidates.size() > 1) {
    const RtcpSender sender = rtcp_sender(data);
    // The player's own SSRC, when it announced it in SETUP (Transport ssrc=).
    if (sender.ssrc) {
      narrow(
          [&](const Candidate& c) { return c.viewer->tracks[c.track].client_ssrc == sender.ssrc; });
    }
    // A receiver report names the stream it is about: our SSRC of one track of one group.
    narrow([&](const Candidate& c) {
      const auto ours = c.media->tracks()[c.track].out_ssrc();
      return std::find(sender.reported.begin(), sender.reported.end(), ours) !=
             sender.reported.end();
    });
  }
  if (candidates.size() > 1) {
    // NATs map a player's RTP/RTCP pair to adjacent ports more often than not: the track whose
    // other port was already latched next to this one.
    narrow([&](const Candidate& c) {
      const auto& vt = c.viewer->tracks[c.track];
      return rtcp ? vt.rtp_latched && vt.rtp.address() == from.address() &&
                        vt.rtp.port() + 1 == from.port()
                  : vt.rtcp_latched && vt.rtcp.address() == from.address() &&
                        vt.rtcp.port() == from.port() + 1;
    });
  }
  if (candidates.size() != 1) {
    ++counters_.udp_latch_ambiguous;
    spdlog::debug("media: {} datagram from {} could belong to {} viewer tracks: not latched",
                  rtcp ? "RTCP" : "RTP", endpoint_text(from), candidates.size());
    return false;
  }
  const Candidate& chosen = candidates.front();
  ViewerSession& s = *chosen.session;
  auto& vt = chosen.viewer->tracks[chosen.track];
  UdpEndpoint& destination = rtcp ? vt.rtcp : vt.rtp;
  const UdpEndpoint other = rtcp ? vt.rtp : vt.rtcp;
  // The port SETUP named leads nowhere for this viewer: another player behind the same NAT may
  // get it as its public port, and must not be taken for this one.
  if (auto old = routes_.find(destination);
      old != routes_.end() && destination != other && old->second.session == &s) {
    routes_.erase(old);
  }
  const UdpEndpoint was = destination;
  destination = from;
  (rtcp ? vt.rtcp_latched : vt.rtp_latched) = true;
  routes_[from] = {&s, chosen.track};
  ++counters_.udp_destinations_latched;
  spdlog::info(
      "group={} terminal={} step=709 viewer behind a NAT: {} of track {} now goes to {} (SETUP "
      "said {})",
      s.group(), s.terminal(), rtcp ? "RTCP" : "RTP", chosen.track, endpoint_text(from),
      endpoint_text(was));
  if (!rtcp) chosen.media->redirect(*chosen.viewer);
  if (fully_latched(*chosen.viewer)) forget_unlatched(s);
  return true;
}

}  // namespace callcast::media
