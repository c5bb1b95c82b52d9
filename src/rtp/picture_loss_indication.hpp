#pragma once
// Picture Loss Indication (RFC 4585 §6.3.1): PSFB, FMT=1, no FCI. A viewer asks for a fresh
// keyframe; the streaming server (module 608) merges these per group before asking the master.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|  FMT=1  |   PT=206      |          length=2             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of media source                         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

struct PictureLossIndication {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  bool operator==(const PictureLossIndication&) const = default;
};

// nullopt unless PSFB FMT=1 with both SSRCs. Octets after them are ignored: PLI defines no FCI,
// and a request for a keyframe is worth more than strictness about what follows it.
std::optional<PictureLossIndication> parse_picture_loss_indication(const RtcpPacketView& packet);

// Writes the 12-byte PLI; 0 when `out` is too small.
std::size_t write_picture_loss_indication(MutableBytes out, std::uint32_t sender_ssrc,
                                          std::uint32_t media_ssrc);

}  // namespace callcast::rtp
