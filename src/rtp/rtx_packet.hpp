#pragma once
// RTP retransmission payload format (RFC 4588 §4): a lost packet resent on its own stream (the
// RTX SSRC, payload type and sequence numbers), so that the viewer's loss statistics and jitter
// of the original stream stay true. The streaming server (module 608) builds these from its
// retransmission ring when a viewer's NACK names a packet it still holds.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         RTP Header                            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            OSN                |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//  |                  Original RTP Packet Payload                  |
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The RTP header is the original's (marker, timestamp, CSRCs and header extension kept) with
// the RTX stream's payload type, sequence number and SSRC; OSN is the original sequence number.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/byte_io.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::rtp {

// Bytes an RTX packet of `original` (a valid RTP packet) takes: its padding is dropped, the OSN
// added.
inline std::size_t rtx_packet_size(const RtpPacketView& original) {
  return original.header_size() + 2 + original.payload().size();
}

// Writes the RTX packet of `original` into `out`. The original's RTP padding is dropped (the P
// bit cleared): it was there for the original's transport (encryption block size, probing) and
// RFC 4588 lets the RTX sender pad on its own. Returns the bytes written, or 0 when `original`
// is not a valid RTP packet, `rtx_payload_type` is over 127 or `out` is too small.
std::size_t write_rtx_packet(MutableBytes out, Bytes original, std::uint8_t rtx_payload_type,
                             std::uint32_t rtx_ssrc, std::uint16_t rtx_sequence);

// Rebuilds the original packet of `rtx` into `out`: its header with `original_payload_type`,
// `original_ssrc` and the OSN as sequence number, then the payload after the OSN, without
// padding. Returns a view of it inside `out`, or nullopt when `rtx` is not a valid RTP packet,
// has no OSN, `original_payload_type` is over 127 or `out` is too small.
std::optional<RtpPacketView> parse_rtx_packet(Bytes rtx, std::uint8_t original_payload_type,
                                              std::uint32_t original_ssrc, MutableBytes out);

}  // namespace callcast::rtp
