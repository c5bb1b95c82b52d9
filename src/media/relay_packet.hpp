#pragma once
// One published RTP packet as the relay keeps it: received once, rewritten once (SSRC, sequence,
// timestamp continuity), then shared read-only by every viewer, the GOP cache and the send queues
// (DESIGN.md §7: no per-viewer copy).
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "rtp/byte_io.hpp"

namespace callcast::media {

// Tracks a group may have (video, audio and room for a second camera or language).
inline constexpr std::size_t kMaxTracks = 4;

struct RelayPacket {
  std::vector<std::uint8_t> bytes;  // the rewritten RTP packet
  std::uint8_t track = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  rtp::Bytes view() const { return {bytes.data(), bytes.size()}; }
};

using SharedPacket = std::shared_ptr<const RelayPacket>;
using Clock = std::chrono::steady_clock;

}  // namespace callcast::media
