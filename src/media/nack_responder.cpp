#include "media/nack_responder.hpp"

#include <algorithm>
#include <cstring>

#include "rtp/rtp_packet_view.hpp"

namespace callcast::media {

namespace {

// Before the track's first rate update (~1 s) its bitrate reads 0: the budget assumes this much.
constexpr double kBudgetFloorBps = 256'000;
// Holds 40 RTX packets of a full Ethernet MTU; more than one NACK usually asks for.
constexpr std::size_t kArenaBytes = std::size_t{64} * 1024;
// The bucket never holds less than this: a packet or two even on a thin audio track.
constexpr double kMinDepthBytes = 3000;

// PROVISIONAL until rtp::write_rtx_packet (helper rtcpfb) is merged.
std::size_t write_rtx_packet(rtp::MutableBytes out, rtp::Bytes original, std::uint8_t pt,
                             std::uint32_t ssrc, std::uint16_t seq) {
  const auto view = rtp::RtpPacketView::parse(original);
  if (!view || out.size() < original.size() + 2) return 0;
  const std::size_t header = original.size() - view->payload().size();
  std::memcpy(out.data(), original.data(), header);
  out[0] = static_cast<std::uint8_t>(out[0] & ~0x20U);
  out[1] = static_cast<std::uint8_t>((out[1] & 0x80U) | pt);
  out[2] = static_cast<std::uint8_t>(seq >> 8);
  out[3] = static_cast<std::uint8_t>(seq);
  for (int i = 0; i < 4; ++i)
    out[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  const std::uint16_t osn = view->sequence_number();
  out[header] = static_cast<std::uint8_t>(osn >> 8);
  out[header + 1] = static_cast<std::uint8_t>(osn);
  std::memcpy(out.data() + header + 2, view->payload().data(), view->payload().size());
  return header + 2 + view->payload().size();
}

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
  const std::size_t written = write_rtx_packet(room, packet->view(), *repair.rtx_payload_type(),
                                               repair.rtx_ssrc(), route.rtx_sequence);
  if (written == 0) return Outcome::missed;  // not a valid RTP packet: it was never relayed so
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
