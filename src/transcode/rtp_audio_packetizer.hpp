#pragma once
// Writes the transcoded stream's RTP packets (RFC 3550 §5.1): one encoded 20 ms frame per packet
// (G.711, G.722 per RFC 3551; Opus per RFC 7587), with our own SSRC, a sequence number that
// goes up by one per packet whatever happened upstream, and the timestamp the transcoder gives.
//
//  |V=2|P=0|X=0|CC=0|M|  PT  |  sequence number  |  timestamp  |  SSRC  |  payload ...
//
// The marker bit is set on the first packet of a talkspurt (RFC 3551 §4.1): the first packet, and
// the first after a timestamp jump, so the phone's jitter buffer re-syncs instead of stretching.
#include <array>
#include <cstdint>

#include "rtp/byte_io.hpp"

namespace callcast::transcode {

struct OutputRtpStream {
  std::uint8_t payload_type = 0;
  std::uint32_t ssrc = 0;
  std::uint16_t first_sequence_number = 0;
  std::uint32_t first_timestamp = 0;

  // Random SSRC, sequence number and timestamp (RFC 3550 §5.1, §8), from the OS's entropy.
  static OutputRtpStream random(std::uint8_t payload_type);
};

class RtpAudioPacketizer {
 public:
  static constexpr std::size_t kHeaderSize = 12;
  static constexpr std::size_t kMaxPacketSize = 1500;

  explicit RtpAudioPacketizer(const OutputRtpStream& stream);

  // The packet, valid until the next write(); empty when the payload does not fit one packet.
  rtp::Bytes write(rtp::Bytes payload, std::uint32_t timestamp, bool marker);

  std::uint32_t ssrc() const { return ssrc_; }
  std::uint16_t next_sequence_number() const { return next_sequence_; }

 private:
  std::uint8_t payload_type_;
  std::uint32_t ssrc_;
  std::uint16_t next_sequence_;
  std::array<std::uint8_t, kMaxPacketSize> buffer_{};
};

}  // namespace callcast::transcode
