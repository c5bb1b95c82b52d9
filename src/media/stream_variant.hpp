#pragma once
// One form of a group's relayed stream, as a set of its viewers receives it (issue 13). The
// relayed form (variant 0) is what RTSP viewers get; a phone negotiated by SIP offer/answer may
// have chosen its own payload type numbers for the same formats (RFC 3264 §6.1: the answerer
// sends with the offerer's numbers), so every distinct set of numbers among the group's phones is
// one variant: each packet is rewritten once per variant, never once per phone, and the
// variant's viewers share that copy exactly as RTSP viewers share the relayed packet (its own
// fan-out group, batch and GOP cache).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "media/gop_cache.hpp"
#include "media/packet_batch.hpp"
#include "media/relay_packet.hpp"

namespace callcast::media {

// Per track: the payload type this variant carries it under; none: as relayed.
using PayloadTypes = std::array<std::optional<std::uint8_t>, kMaxTracks>;

// What sets a variant apart: its payload types and, for phones that cannot take the group's audio
// codec, the transcoder whose output replaces the relayed audio track (GroupAudioTranscoders id).
struct StreamForm {
  PayloadTypes payload_types{};
  std::optional<std::uint32_t> audio_target;
  std::optional<std::size_t> transcoded_track;  // the audio track `audio_target` replaces
  bool operator==(const StreamForm&) const = default;
};

class StreamVariant {
 public:
  StreamVariant(StreamForm form, std::uint64_t fanout_group, std::size_t shards,
                std::size_t max_batch_packets, std::size_t gop_packets, std::size_t gop_bytes);

  const StreamForm& form() const { return form_; }
  const PayloadTypes& payload_types() const { return form_.payload_types; }
  std::optional<std::uint32_t> audio_target() const { return form_.audio_target; }
  // The relayed packet as this variant carries it: the same shared packet where nothing differs,
  // else one copy with its payload type (the marker bit kept); null for the relayed audio of a
  // variant that gets it transcoded.
  SharedPacket rewrite(const SharedPacket& relayed) const;
  // Whether `relayed` comes out of rewrite() as a copy.
  bool rewrites(const RelayPacket& relayed) const;

  std::uint64_t fanout_group() const { return fanout_group_; }
  std::vector<std::uint32_t>& shard_viewers() { return shard_viewers_; }
  // Packets not yet handed to the fan-out workers.
  std::shared_ptr<PacketBatch>& pending() { return pending_; }
  GopCache& gop() { return gop_; }
  const GopCache& gop() const { return gop_; }
  // Viewers that receive this variant (playing or not): a variant nobody uses goes.
  std::size_t viewers = 0;

 private:
  StreamForm form_;
  std::uint64_t fanout_group_;
  std::vector<std::uint32_t> shard_viewers_;
  std::shared_ptr<PacketBatch> pending_;
  GopCache gop_;
};

}  // namespace callcast::media
