#include "media/nack_responder.hpp"

#include <algorithm>

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
                            const TrackRepair& repair, double bitrate_bps,
                            const RepairLimits& limits, Clock::time_point now,
                            RepairCounters& group) {
  ++viewer.repair.nacks_received;
  ++group.nacks_received;
  ViewerTrack& route = viewer.tracks[track];
  // Budget: a share of the track's rate; the bucket holds what that share of the window is, so a
  // burst lost at once is repaired at once while the long-run rate stays capped.
  const double rate = limits.max_share * std::max(bitrate_bps, kBudgetFloorBps) / 8;
  const double depth =
      std::max(kMinDepthBytes, rate * std::chrono::duration<double>(limits.window).count());
  RepairCounters counted;
  nack.for_each_lost([&](std::uint16_t sequence) {
    switch (resend(viewer, route, sequence, repair, rate, depth, now)) {
      case Outcome::repaired:
        ++counted.packets_repaired;
        break;
      case Outcome::missed:
        ++counted.misses;
        break;
      case Outcome::capped:
        ++counted.capped;
        break;
    }
  });
  out_.flush();
  arena_used_ = 0;
  viewer.repair.add(counted);
  group.add(counted);
}

NackResponder::Outcome NackResponder::resend(Viewer& viewer, ViewerTrack& route,
                                             std::uint16_t sequence, const TrackRepair& repair,
                                             double rate, double depth, Clock::time_point now) {
  SharedPacket packet;
  if (repair.ring().find(sequence, now, packet) != RingLookup::found) return Outcome::missed;
  // RTX only where negotiated: an AVPF SETUP of a track that has an RTX format (see
  // viewer_offer.cpp for why an AVP viewer, ffmpeg's, must get the original packet).
  const bool rtx = route.feedback && repair.rtx_payload_type().has_value();
  const std::size_t size = packet->bytes.size() + (rtx ? 2 : 0);
  if (!route.repair_budget.take(size, rate, depth, now)) return Outcome::capped;
  if (!rtx) {
    out_.enqueue(route.rtp, packet, viewer.delivery.get());
    return Outcome::repaired;
  }
  const rtp::MutableBytes room = rtx_room(size);
  const std::size_t written = rtp::write_rtx_packet(
      room, packet->view(), *repair.rtx_payload_type(), repair.rtx_ssrc(), route.rtx_sequence);
  if (written == 0) return Outcome::missed;  // cannot happen: the relay validated it
  ++route.rtx_sequence;
  arena_used_ += written;
  out_.enqueue(route.rtp, rtp::Bytes(room.data(), written), viewer.delivery.get());
  return Outcome::repaired;
}

rtp::MutableBytes NackResponder::rtx_room(std::size_t size) {
  if (arena_used_ + size > arena_.size()) {
    out_.flush();
    arena_used_ = 0;
  }
  return rtp::MutableBytes(arena_.data() + arena_used_, std::min(size, arena_.size()));
}

}  // namespace callcast::media
