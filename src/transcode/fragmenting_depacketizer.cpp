#include "transcode/fragmenting_depacketizer.hpp"

namespace callcast::transcode {

FragmentingDepacketizer::FragmentingDepacketizer(std::size_t fragment_capacity) {
  fragment_.reserve(fragment_capacity);
}

void FragmentingDepacketizer::drop_fragment() {
  if (in_fragment_) ++counters_.broken_fragments;
  in_fragment_ = false;
  fragment_.clear();
}

Result<std::span<const AccessUnit>, std::string> FragmentingDepacketizer::push(
    const AudioRtpPacket& packet) {
  ++counters_.packets;
  switch (sequence_.accept(packet.sequence_number)) {
    case PacketSequence::Order::late:
      ++counters_.late;
      return std::span<const AccessUnit>{};
    case PacketSequence::Order::after_gap:
    case PacketSequence::Order::restart:
      drop_fragment();
      break;
    case PacketSequence::Order::first:
    case PacketSequence::Order::in_order:
      break;
  }
  counters_.lost = sequence_.lost();
  auto units = assemble(packet);
  if (!units) {
    ++counters_.malformed;
    drop_fragment();
    return units;
  }
  counters_.access_units += units->size();
  return units;
}

}  // namespace callcast::transcode
