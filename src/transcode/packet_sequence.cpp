#include "transcode/packet_sequence.hpp"

#include "rtp/rtp_packet_view.hpp"

namespace callcast::transcode {

PacketSequence::Order PacketSequence::accept(std::uint16_t sequence_number) {
  if (!newest_) {
    newest_ = sequence_number;
    return Order::first;
  }
  const std::int16_t delta = rtp::sequence_delta(sequence_number, *newest_);
  if (delta <= 0 && delta >= -kMaxMisorder) return Order::late;
  newest_ = sequence_number;
  if (delta < 0 || delta > kMaxDropout) return Order::restart;
  if (delta == 1) return Order::in_order;
  lost_ += static_cast<std::uint64_t>(delta - 1);
  return Order::after_gap;
}

}  // namespace callcast::transcode
