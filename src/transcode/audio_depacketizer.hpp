#pragma once
// Turns a publisher's audio RTP packets into codec access units (one AAC frame, one Opus packet)
// with their RTP timestamps, for the decoder of an AudioTranscoder. One implementation per
// payload format: AacAuDepacketizer (RFC 3640), LatmDepacketizer (RFC 6416), OpusDepacketizer
// (RFC 7587).
//
// The input is untrusted: every length is checked, a bad packet returns an error (and drops any
// access unit it was part of) and the next packet starts clean. Memory is bounded: at most
// kMaxAccessUnitBytes are held for a fragmented unit and kMaxAccessUnitsPerPacket are returned
// from one packet. Nothing is allocated per packet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::transcode {

// An AAC frame is at most 6144 bits per channel (ISO/IEC 14496-3 §4.5.3.2): 8 channels fit.
inline constexpr std::size_t kMaxAccessUnitBytes = 8 * 1024;
inline constexpr std::size_t kMaxAccessUnitsPerPacket = 64;

// The parts of an RTP packet a depacketizer reads (from an RtpPacketView, or built by a test).
struct AudioRtpPacket {
  rtp::Bytes payload;
  std::uint32_t timestamp = 0;
  std::uint16_t sequence_number = 0;
  bool marker = false;

  static AudioRtpPacket from(const rtp::RtpPacketView& packet) {
    return {packet.payload(), packet.timestamp(), packet.sequence_number(), packet.marker()};
  }
};

struct AccessUnit {
  rtp::Bytes data;              // valid until the next push() on the depacketizer
  std::uint32_t timestamp = 0;  // RTP timestamp (source clock) of its first sample
};

struct DepacketizerCounters {
  std::uint64_t packets = 0;           // given to push()
  std::uint64_t access_units = 0;      // returned
  std::uint64_t malformed = 0;         // packets rejected with an error
  std::uint64_t lost = 0;              // missing sequence numbers seen
  std::uint64_t late = 0;              // older than the newest packet seen: dropped
  std::uint64_t broken_fragments = 0;  // partial access units dropped after a loss or error
};

class AudioDepacketizer {
 public:
  virtual ~AudioDepacketizer() = default;
  // The access units the packet completed, in order (empty while a fragmented unit is incomplete,
  // or for a late packet). The span and the units' data stay valid until the next push().
  virtual Result<std::span<const AccessUnit>, std::string> push(const AudioRtpPacket& packet) = 0;
  virtual const DepacketizerCounters& counters() const = 0;
};

}  // namespace callcast::transcode
