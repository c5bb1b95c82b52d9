#pragma once
// What a track needs to repair viewers' losses (module 608): its retransmission ring and, for
// video, the RFC 4588 retransmission stream offered beside it (own payload type, own SSRC).
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "media/retransmission_ring.hpp"
#include "media/track_relay.hpp"

namespace callcast::media {

struct RepairLimits {
  // media.rtx_window_ms: how long a relayed packet can still be resent; zero turns repair off.
  Clock::duration window = std::chrono::milliseconds(500);
  // media.rtx_max_share: a viewer's retransmitted bytes per track, as a share of its bitrate.
  double max_share = 0.25;
  std::size_t max_ring_packets = 8192;  // ~5 s of a 16 Mbit/s stream of 1200-byte packets
};

class TrackRepair {
 public:
  TrackRepair(Clock::duration window, std::size_t max_ring_packets,
              std::optional<std::uint8_t> rtx_payload_type, std::uint32_t rtx_ssrc)
      : ring_(window, max_ring_packets), rtx_payload_type_(rtx_payload_type), rtx_ssrc_(rtx_ssrc) {}

  RetransmissionRing& ring() { return ring_; }
  const RetransmissionRing& ring() const { return ring_; }
  // Offered in DESCRIBE (a=rtpmap:<pt> rtx/<clock>) when set; video only, and only with repair on.
  std::optional<std::uint8_t> rtx_payload_type() const { return rtx_payload_type_; }
  std::uint32_t rtx_ssrc() const { return rtx_ssrc_; }

 private:
  RetransmissionRing ring_;
  std::optional<std::uint8_t> rtx_payload_type_;
  std::uint32_t rtx_ssrc_;
};

// One TrackRepair per track: an RTX payload type for each video track, the lowest dynamic one (96
// to 127) no m= line of the announcement uses (none left: that track is repaired with original
// packets only), and an RTX SSRC distinct from every track's SSRC.
std::vector<TrackRepair> make_track_repairs(const std::vector<TrackRelay>& tracks,
                                            const RepairLimits& limits);

}  // namespace callcast::media
