#pragma once
// What the publisher sent, so that viewers' packets are matched against what was PUBLISHED and
// not only against sequence gaps (a relay may rewrite sequence numbers, timestamps and SSRCs,
// but never the payload). Every packet of the endless replay has an index (0, 1, 2, ... in send
// order); a packet's fingerprint (payload type, payload length, last 16 payload bytes) names its
// position in the clip's loop, and the publish count turns the position into the latest index
// published with it.
//
// Threads: one publisher calls record_sent(); any number of receivers call match(). The
// fingerprint table is read-only after construction; send times live in a ring of atomics.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "loadgen/media_packetizer.hpp"

namespace callcast::loadgen {

std::uint64_t payload_fingerprint(std::uint8_t payload_type, std::span<const std::uint8_t> payload);

class PublishLedger {
 public:
  explicit PublishLedger(const PacketizedClip& clip);

  // Packet `index` leaves now (CLOCK_MONOTONIC ns); indices come in order, from 0.
  void record_sent(std::uint64_t index, std::int64_t sent_ns);
  std::uint64_t published() const { return published_.load(std::memory_order_acquire); }

  struct Match {
    std::int64_t index = -1;
    std::int64_t sent_ns = 0;
  };
  // The published packet a received payload is. A few payloads recur within the clip (SPS and
  // PPS before every IDR): then the earliest candidate after `last_on_track` (the highest index
  // this viewer already has on the track, -1 for none) is taken, the latest when there is none
  // after it or no history. nullopt: never published (or published too long ago to tell).
  std::optional<Match> match(std::uint8_t payload_type, std::span<const std::uint8_t> payload,
                             std::int64_t last_on_track) const;

  // Positions whose fingerprint recurs in the loop (resolved by order, see match()).
  std::size_t ambiguous_positions() const { return ambiguous_; }

 private:
  std::int64_t latest_index_at(std::uint32_t position, std::uint64_t published) const;

  std::uint64_t loop_size_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> positions_;
  std::size_t ambiguous_ = 0;
  static constexpr std::size_t kRingSize = 1 << 17;  // ~8 min of send times at ~280 packets/s
  std::unique_ptr<std::atomic<std::int64_t>[]> sent_ns_;
  std::atomic<std::uint64_t> published_{0};
};

}  // namespace callcast::loadgen
