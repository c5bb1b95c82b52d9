#include "media/stream_variant.hpp"

namespace callcast::media {

StreamVariant::StreamVariant(StreamForm form, std::uint64_t fanout_group, std::size_t shards,
                             std::size_t max_batch_packets, std::size_t gop_packets,
                             std::size_t gop_bytes)
    : form_(form),
      fanout_group_(fanout_group),
      shard_viewers_(shards, 0),
      pending_(std::make_shared<PacketBatch>(max_batch_packets)),
      gop_(gop_packets, gop_bytes) {}

bool StreamVariant::rewrites(const RelayPacket& relayed) const {
  const auto& wanted = form_.payload_types[relayed.track];
  return wanted && relayed.bytes.size() >= 2 && (relayed.bytes[1] & 0x7FU) != *wanted;
}

SharedPacket StreamVariant::rewrite(const SharedPacket& relayed) const {
  if (form_.transcoded_track == relayed->track) return nullptr;
  if (!rewrites(*relayed)) return relayed;
  auto copy = std::make_shared<RelayPacket>(*relayed);
  copy->bytes[1] =
      static_cast<std::uint8_t>((copy->bytes[1] & 0x80U) | *form_.payload_types[relayed->track]);
  return copy;
}

}  // namespace callcast::media
