#pragma once
// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2): an application-layer
// PSFB message (FMT=15). The streaming server sends it to the master when too many of a group's
// viewers are congested ([0091], module 608: "controlling the sending bitrate").
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P| FMT=15  |   PT=206      |             length            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of media source (0)                     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Unique identifier 'R' 'E' 'M' 'B'                            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Num SSRC     | BR Exp    |  BR Mantissa                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   SSRC feedback                                               |  Num SSRC
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  of them
//
// The bitrate is mantissa (18 bits) * 2^exp (6 bits) bits per second, for all the listed SSRCs
// together.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

struct ReceiverEstimatedMaxBitrate {
  // The streams of one broadcast; a longer list is read up to here.
  static constexpr std::size_t kMaxSsrcs = 16;

  std::uint32_t sender_ssrc = 0;
  std::uint64_t bitrate_bps = 0;
  std::array<std::uint32_t, kMaxSsrcs> ssrcs{};
  std::size_t ssrc_count = 0;
  bool truncated = false;  // the packet listed more than kMaxSsrcs SSRCs
};

// nullopt unless PSFB FMT=15 carrying "REMB" (other application-layer messages share the FMT),
// with the Num SSRC SSRCs it announces inside the FCI and a bitrate that fits 64 bits. Octets
// after the SSRC list are ignored, as are the header's media SSRC (the draft sends 0) and Num
// SSRC = 0.
std::optional<ReceiverEstimatedMaxBitrate> parse_receiver_estimated_max_bitrate(
    const RtcpPacketView& packet);

// Writes the largest bitrate representable that is not above `bitrate_bps` (the smallest
// exponent that fits the mantissa), for `ssrcs` (at most 255: Num SSRC is one octet). Returns
// the bytes written, or 0 when there are too many SSRCs or `out` is too small.
std::size_t write_receiver_estimated_max_bitrate(MutableBytes out, std::uint32_t sender_ssrc,
                                                 std::uint64_t bitrate_bps,
                                                 std::span<const std::uint32_t> ssrcs);

}  // namespace callcast::rtp
