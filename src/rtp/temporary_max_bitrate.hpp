#pragma once
// Temporary Maximum Media Stream Bit Rate Request and Notification (RFC 5104 §4.2.1, §4.2.2):
// RTPFB FMT=3 (TMMBR) and FMT=4 (TMMBN). The streaming server asks the master for a lower rate
// when a group's viewers are congested ([0091], module 608); TMMBN is the sender's answer, the
// bounding set it now honours.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P| FMT=3/4 |   PT=205      |          length               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             SSRC of media source (unused, sent as 0)          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                              SSRC                             |  TMMBR: one or more;
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  TMMBN: zero or more
//  | MxTBR Exp |  MxTBR Mantissa                 |Measured Overhead|
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The maximum total media bit rate is mantissa (17 bits) * 2^exp (6 bits) bits per second; the
// measured overhead (9 bits) is the per-packet header overhead in octets the request assumes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

struct TmmbItem {
  std::uint32_t ssrc = 0;
  std::uint64_t bitrate_bps = 0;
  std::uint16_t overhead = 0;  // 0..511
  bool operator==(const TmmbItem&) const = default;
};

struct TemporaryMaxBitrate {
  static constexpr std::size_t kMaxItems = 16;
  static constexpr std::uint16_t kMaxOverhead = 511;

  bool notification = false;  // TMMBN (FMT=4) rather than TMMBR (FMT=3)
  std::uint32_t sender_ssrc = 0;
  std::array<TmmbItem, kMaxItems> items{};
  std::size_t item_count = 0;
  bool truncated = false;  // the packet held more than kMaxItems items
};

// nullopt unless RTPFB FMT=3 or 4 whose FCI is a whole number of 8-byte items (at least one for
// TMMBR; a TMMBN may announce an empty bounding set) with bitrates that fit 64 bits.
std::optional<TemporaryMaxBitrate> parse_temporary_max_bitrate(const RtcpPacketView& packet);

// Write the largest bitrate representable that is not above the item's (the smallest exponent
// that fits the mantissa). Return the bytes written, or 0 when an overhead is over 511 or `out`
// is too small.
std::size_t write_tmmbr(MutableBytes out, std::uint32_t sender_ssrc, const TmmbItem& item);
std::size_t write_tmmbn(MutableBytes out, std::uint32_t sender_ssrc,
                        std::span<const TmmbItem> items);

}  // namespace callcast::rtp
