#pragma once
// Generic NACK (RFC 4585 §6.2.1): RTPFB, FMT=1. A viewer lists the RTP packets it lost; the
// streaming server (module 608) resends them from its retransmission ring.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|  FMT=1  |   PT=205      |          length               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  |                  SSRC of media source                         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            PID                |             BLP               |  one or more
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// PID is a lost sequence number; bit i of BLP (bit 0 the least significant) says that PID+i+1
// (mod 2^16) is lost too.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

struct NackItem {
  std::uint16_t pid = 0;
  std::uint16_t blp = 0;
  bool operator==(const NackItem&) const = default;
};

struct GenericNack {
  // 64 items name up to 1088 packets, far more than a viewer loses between two RTCP reports at
  // the rates callcast relays; a longer packet is read up to here and marked truncated.
  static constexpr std::size_t kMaxItems = 64;

  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::array<NackItem, kMaxItems> items{};
  std::size_t item_count = 0;
  bool truncated = false;  // the packet held more than kMaxItems items

  // Calls f(std::uint16_t seq) for each item's PID and then each BLP bit, in packet order; the
  // sequence numbers wrap from 65535 to 0.
  template <class F>
  void for_each_lost(F f) const {
    for (std::size_t i = 0; i < item_count; ++i) {
      const NackItem& item = items[i];
      f(item.pid);
      for (unsigned bit = 0; bit < 16; ++bit) {
        if ((item.blp >> bit) & 1U) f(static_cast<std::uint16_t>(item.pid + bit + 1));
      }
    }
  }
};

// nullopt unless RTPFB FMT=1 with at least one whole item (RFC 4585: "MUST contain at least
// one"); an FCI that is not a whole number of items is a lying length.
std::optional<GenericNack> parse_generic_nack(const RtcpPacketView& packet);

// Packs `lost` (in sending order, may wrap 65535 -> 0) into PID+BLP items: a sequence number up
// to 16 after the open item's PID goes into its BLP, any other opens a new item, so input out of
// order still names every packet, only less tightly. Returns the bytes written, or 0 when `lost`
// is empty (there is no NACK without an item) or `out` is too small.
std::size_t write_generic_nack(MutableBytes out, std::uint32_t sender_ssrc,
                               std::uint32_t media_ssrc, std::span<const std::uint16_t> lost);

}  // namespace callcast::rtp
