#include "media/nack_responder.hpp"

#include <algorithm>

#include "media/srtp_copy.hpp"
#include "rtp/rtx_packet.hpp"

namespace callcast::media {

namespace {

// Before the track's first rate update (~1 s) its bitrate reads 0: the budget assumes this much.
constexpr double kBudgetFloorBps = 256'000;
// Holds 40 RTX packets of a full Ethernet MTU; more than one NACK usually asks for.
constexpr std::size_t kArenaBytes = std::size_t{64} * 1024;
// The bucket never holds less than this: a packet or two even on a thin audio track.
constexpr double kMinDepthBytes = 3000;

}  // namespace

NackResponder::NackResponder(DatagramBatcher& out) : out_(out), arena_(kArenaBytes) {}

void NackResponder::respond(Viewer& viewer, std::size_t track, const rtp::GenericNack& nack,
                            const Source& source, const RepairLimits& limits, Clock::time_point now,
                            RepairCounters& group, const Answered& answered) {
  ++viewer.repair.nacks_received;
  ++group.nacks_received;
  RepairCounters counted;
  nack.for_each_lost([&](std::uint16_t sequence) {
    const Outcome outcome = resend(viewer, track, sequence, source, limits, now);
    if (answered) answered(sequence, outcome == Outcome::repaired || outcome == Outcome::repeated);
    switch (outcome) {
      case Outcome::repaired:
        ++counted.packets_repaired;
        break;
      case Outcome::missed:
        ++counted.misses;
        break;
      case Outcome::capped:
        ++counted.capped;
        break;
      case Outcome::repeated:
        ++counted.repeats;
        break;
    }
  });
  out_.flush();
  arena_used_ = 0;
  viewer.repair.add(counted);
  group.add(counted);
}

SharedPacket NackResponder::find(const Viewer& viewer, std::size_t track, std::uint16_t sequence,
                                 const Source& source, const RepairLimits& limits,
                                 Clock::time_point now) {
  SharedPacket packet;
  if (source.repair.ring().find(sequence, now, packet) == RingLookup::found) return packet;
  if (limits.window <= Clock::duration::zero() || now - viewer.playing_since > limits.window) {
    return nullptr;
  }
  // Rare (a join burst's loss): a scan of one GOP is cheaper than indexing every GOP.
  for (const auto& cached : source.gop.packets()) {
    if (cached->track == track && cached->sequence == sequence) return cached;
  }
  return nullptr;
}

NackResponder::Outcome NackResponder::resend(Viewer& viewer, std::size_t track,
                                             std::uint16_t sequence, const Source& source,
                                             const RepairLimits& limits, Clock::time_point now) {
  ViewerTrack& route = viewer.tracks[track];
  // A viewer numbered for itself (thinned) names packets by its own numbers: the ring knows the
  // relay's, and what is resent must carry the viewer's.
  std::uint16_t relayed = sequence;
  if (route.thinning.renumbering()) {
    const std::optional<std::uint16_t> original = route.thinning.original(sequence);
    if (!original) return Outcome::missed;
    relayed = *original;
  }
  const SharedPacket packet = find(viewer, track, relayed, source, limits, now);
  if (!packet) return Outcome::missed;
  const TrackRepair& repair = source.repair;
  // RTX only where negotiated: an AVPF SETUP of a track that has an RTX format (see
  // viewer_offer.cpp for why an AVP viewer, ffmpeg's, must get the original packet).
  const bool rtx = route.feedback && repair.rtx_payload_type().has_value();
  const std::size_t size = packet->bytes.size() + (rtx ? 2 : 0);
  // Asked for again after its repair went: that repair was lost as well. The path loses at the
  // rate it lost both, so this one goes twice: at 10 % random loss a third loss of the same
  // packet within the player's latency, which left a damaged picture until the next keyframe a
  // few times a minute, becomes ten times rarer, for about one packet in a hundred resent.
  const bool again = route.resent.resent_within(sequence, now, limits.window);
  // The video's reports measure the viewer's round trip; its other tracks share the path.
  if (!route.resent.may_resend(sequence, now,
                               ResendHistory::hold_off(viewer.qos.health.round_trip()))) {
    return Outcome::repeated;
  }
  // Budget: a share of the track's rate; the bucket holds what that share of the window is, so a
  // burst lost at once is repaired at once while the long-run rate stays capped.
  const double rate = limits.max_share * std::max(source.bitrate_bps, kBudgetFloorBps) / 8;
  const double depth =
      std::max(kMinDepthBytes, rate * std::chrono::duration<double>(limits.window).count());
  if (!route.repair_budget.take(size, rate, depth, now)) return Outcome::capped;
  const int copies = again && route.repair_budget.take(size, rate, depth, now) ? 2 : 1;
  // A phone's own payload type (issue 13): the repair carries it like the live packets did.
  const bool retype = route.payload_type && (packet->bytes[1] & 0x7FU) != *route.payload_type;
  if (!rtx && relayed == sequence && !retype) {
    for (int i = 0; i < copies; ++i)
      send(viewer, route.rtp, packet);
    return Outcome::repaired;
  }
  // Built in the arena: a copy under the viewer's numbers (if they differ), then the RTX packet.
  const std::size_t copied = relayed == sequence && !retype ? 0 : packet->bytes.size();
  const rtp::MutableBytes room = rtx_room(copied + (rtx ? size : 0));
  rtp::Bytes original = packet->view();
  if (copied != 0) {
    std::copy(packet->bytes.begin(), packet->bytes.end(), room.begin());
    rtp::write_u16(room.data() + 2, sequence);
    if (retype) room[1] = static_cast<std::uint8_t>((room[1] & 0x80U) | *route.payload_type);
    original = rtp::Bytes(room.data(), copied);
  }
  std::size_t written = 0;
  if (rtx) {
    written = rtp::write_rtx_packet(room.subspan(copied), original, *repair.rtx_payload_type(),
                                    repair.rtx_ssrc(), route.rtx_sequence);
    if (written == 0) return Outcome::missed;  // cannot happen: the relay validated it
    ++route.rtx_sequence;
  }
  arena_used_ += copied + written;
  const rtp::Bytes sent = rtx ? rtp::Bytes(room.data() + copied, written) : original;
  for (int i = 0; i < copies; ++i)
    send(viewer, route.rtp, sent);
  return Outcome::repaired;
}

void NackResponder::send(Viewer& viewer, const UdpEndpoint& to, const SharedPacket& packet) {
  if (viewer.srtp) return send(viewer, to, packet->view());
  out_.enqueue(to, packet, viewer.delivery.get());
}

void NackResponder::send(Viewer& viewer, const UdpEndpoint& to, rtp::Bytes bytes) {
  if (!viewer.srtp) return out_.enqueue(to, bytes, viewer.delivery.get());
  // A WebRTC viewer's repair is protected with its keys like its live packets (issue 14).
  if (auto sealed = srtp_protected_copy(*viewer.srtp, bytes)) {
    out_.enqueue(to, std::move(sealed), viewer.delivery.get());
  } else {
    viewer.delivery->dropped(1);
  }
}

rtp::MutableBytes NackResponder::rtx_room(std::size_t size) {
  if (arena_used_ + size > arena_.size()) {
    out_.flush();
    arena_used_ = 0;
  }
  return rtp::MutableBytes(arena_.data() + arena_used_, std::min(size, arena_.size()));
}

}  // namespace callcast::media
