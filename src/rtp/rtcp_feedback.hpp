#pragma once
// RTCP feedback messages (RFC 4585 §6.1): the common header every RTPFB and PSFB packet starts
// with, and the exponent/mantissa bitrates of REMB and TMMBR/TMMBN.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|   FMT   |       PT      |          length               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of media source                         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  :            Feedback Control Information (FCI)                 :
//
// PT is RtcpType::transport_feedback (RTPFB) or RtcpType::payload_feedback (PSFB); FMT, in the
// count field, names the message within each (TransportFeedbackFormat, PayloadFeedbackFormat in
// rtcp.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

constexpr std::size_t kFeedbackHeaderSize = 12;  // common header + the two SSRCs

// A feedback packet's two SSRCs and its FCI, the RTCP padding cut off.
struct FeedbackPacket {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  Bytes fci;
};

// nullopt unless `packet` has that PT and FMT and room for both SSRCs.
std::optional<FeedbackPacket> parse_feedback(const RtcpPacketView& packet,
                                             TransportFeedbackFormat format);
std::optional<FeedbackPacket> parse_feedback(const RtcpPacketView& packet,
                                             PayloadFeedbackFormat format);

// Writes the 12-byte header of a feedback packet `total_size` bytes long (a multiple of 4, at
// most 65536 words). The caller has checked that `p` has room for `total_size` bytes.
void write_feedback_header(std::uint8_t* p, TransportFeedbackFormat format, std::size_t total_size,
                           std::uint32_t sender_ssrc, std::uint32_t media_ssrc);
void write_feedback_header(std::uint8_t* p, PayloadFeedbackFormat format, std::size_t total_size,
                           std::uint32_t sender_ssrc, std::uint32_t media_ssrc);

// The largest feedback packet the 16-bit RTCP length field can describe.
constexpr std::size_t kMaxRtcpPacketSize = (std::size_t{0xffff} + 1) * 4;

// A bitrate as REMB and TMMBR carry it: mantissa * 2^exponent bits per second, the exponent 6
// bits wide, the mantissa `mantissa_bits` wide (18 for REMB, 17 for TMMBR).
struct ExponentMantissa {
  std::uint8_t exponent = 0;
  std::uint32_t mantissa = 0;
};

// The largest representable value not above `bps`: the smallest exponent that fits the mantissa
// (a larger one only coarsens the grid). Every 64-bit value fits with an exponent of at most 47.
constexpr ExponentMantissa to_exponent_mantissa(std::uint64_t bps, unsigned mantissa_bits) {
  ExponentMantissa result;
  while ((bps >> result.exponent) >= (std::uint64_t{1} << mantissa_bits))
    ++result.exponent;
  result.mantissa = static_cast<std::uint32_t>(bps >> result.exponent);
  return result;
}

// nullopt when mantissa * 2^exponent does not fit 64 bits: a peer's overflowing value is read as
// a malformed packet, not as a wrapped-around small limit.
constexpr std::optional<std::uint64_t> from_exponent_mantissa(std::uint8_t exponent,
                                                              std::uint32_t mantissa) {
  if (exponent >= 64) return std::nullopt;
  const std::uint64_t value = std::uint64_t{mantissa} << exponent;
  if ((value >> exponent) != mantissa) return std::nullopt;
  return value;
}

}  // namespace callcast::rtp
