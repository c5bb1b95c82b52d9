#pragma once
// A validated, non-owning view of one RTP packet (RFC 3550 §5.1):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           timestamp                           |
//  |           synchronization source (SSRC) identifier            |
//  |            contributing source (CSRC) identifiers (CC)        |
//  |  header extension (X): profile(16) length(16) words...        |
//  |  payload ...                          | padding | pad count   |
//
// parse() checks version, CSRC count, extension length and padding against the buffer before any
// accessor can be used.
#include <cstdint>
#include <optional>

#include "rtp/byte_io.hpp"

namespace callcast::rtp {

class RtpPacketView {
 public:
  static constexpr std::size_t kFixedHeaderSize = 12;

  static std::optional<RtpPacketView> parse(Bytes packet);

  bool marker() const { return (data_[1] & 0x80) != 0; }
  std::uint8_t payload_type() const { return data_[1] & 0x7f; }
  std::uint16_t sequence_number() const { return read_u16(&data_[2]); }
  std::uint32_t timestamp() const { return read_u32(&data_[4]); }
  std::uint32_t ssrc() const { return read_u32(&data_[8]); }
  std::uint8_t csrc_count() const { return data_[0] & 0x0f; }
  bool has_extension() const { return (data_[0] & 0x10) != 0; }
  std::size_t header_size() const { return header_size_; }
  std::size_t padding_size() const { return padding_size_; }
  Bytes payload() const { return data_.subspan(header_size_, payload_size_); }
  Bytes bytes() const { return data_; }

 private:
  RtpPacketView(Bytes data, std::size_t header_size, std::size_t payload_size,
                std::size_t padding_size)
      : data_(data),
        header_size_(header_size),
        payload_size_(payload_size),
        padding_size_(padding_size) {}

  Bytes data_;
  std::size_t header_size_;
  std::size_t payload_size_;
  std::size_t padding_size_;
};

// In-place rewriting of a packet the relay owns (validated by RtpPacketView::parse first).
inline void set_sequence_number(MutableBytes packet, std::uint16_t seq) {
  write_u16(&packet[2], seq);
}
inline void set_timestamp(MutableBytes packet, std::uint32_t ts) {
  write_u32(&packet[4], ts);
}
inline void set_ssrc(MutableBytes packet, std::uint32_t ssrc) {
  write_u32(&packet[8], ssrc);
}

// Signed distance a - b in 16-bit sequence space (RFC 3550 Appendix A.1 wrap handling).
constexpr std::int16_t sequence_delta(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b));
}

}  // namespace callcast::rtp
