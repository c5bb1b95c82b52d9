#pragma once
// Where a packet's sequence number stands against the newest one seen (RFC 3550 §A.1 wrap):
// next in order, after a gap (loss), or late (a duplicate or reordered packet the depacketizers
// drop, since their output has moved past it). A jump too large for loss or reordering (RFC 3550
// §A.1's MAX_DROPOUT and MAX_MISORDER) is a new sequence, e.g. after the publisher reconnected.
#include <cstdint>
#include <optional>

namespace callcast::transcode {

class PacketSequence {
 public:
  enum class Order { first, in_order, after_gap, late, restart };
  static constexpr int kMaxMisorder = 100;
  static constexpr int kMaxDropout = 3000;

  // Records the packet (unless late) and says where it stands; after_gap counts the gap in lost().
  Order accept(std::uint16_t sequence_number);
  std::uint64_t lost() const { return lost_; }

 private:
  std::optional<std::uint16_t> newest_;
  std::uint64_t lost_ = 0;
};

}  // namespace callcast::transcode
