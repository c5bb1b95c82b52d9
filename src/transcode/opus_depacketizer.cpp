#include "transcode/opus_depacketizer.hpp"

namespace callcast::transcode {

Result<std::span<const AccessUnit>, std::string> OpusDepacketizer::push(
    const AudioRtpPacket& packet) {
  ++counters_.packets;
  if (sequence_.accept(packet.sequence_number) == PacketSequence::Order::late) {
    ++counters_.late;
    return std::span<const AccessUnit>{};
  }
  counters_.lost = sequence_.lost();
  if (packet.payload.empty()) {
    ++counters_.malformed;
    return fail("empty Opus payload");
  }
  if (packet.payload.size() > kMaxOpusPacketBytes) {
    ++counters_.malformed;
    return fail("Opus payload longer than 61200 bytes");
  }
  unit_ = {packet.payload, packet.timestamp};
  ++counters_.access_units;
  return std::span<const AccessUnit>(&unit_, 1);
}

}  // namespace callcast::transcode
