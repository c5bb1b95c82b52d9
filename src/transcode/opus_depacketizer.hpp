#pragma once
// RFC 7587 Opus: one Opus packet (RFC 6716 §3) per RTP packet, no payload header; the timestamp
// runs at 48 kHz whatever the coded bandwidth. Passed through as one access unit per packet after
// the checks every depacketizer makes (order, size); the decoder judges the TOC and frames.
#include <memory>
#include <string>

#include "transcode/audio_depacketizer.hpp"
#include "transcode/packet_sequence.hpp"

namespace callcast::transcode {

class OpusDepacketizer final : public AudioDepacketizer {
 public:
  // RFC 6716 §3.4 R2: at most 1275 bytes per frame; at most 120 ms of 2.5 ms frames per packet.
  static constexpr std::size_t kMaxOpusPacketBytes = 48 * 1275;

  Result<std::span<const AccessUnit>, std::string> push(const AudioRtpPacket& packet) override;
  const DepacketizerCounters& counters() const override { return counters_; }

 private:
  PacketSequence sequence_;
  DepacketizerCounters counters_;
  AccessUnit unit_;
};

}  // namespace callcast::transcode
