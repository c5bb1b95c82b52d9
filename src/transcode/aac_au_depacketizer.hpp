#pragma once
// RFC 3640 (MPEG4-GENERIC) AAC depacketizer, modes AAC-hbr and AAC-lbr: what GStreamer's
// rtpmp4gpay and `callcast broadcast` send.
//
//  +---------+-----------+-----------+---------------+
//  | RTP     | AU Header | Auxiliary | Access Unit   |
//  | Header  | Section   | Section   | Data Section  |
//  +---------+-----------+-----------+---------------+
//
//  AU Header Section: AU-headers-length (16 bits, in bits), then one AU header per access unit,
//  padded to a byte:  first: AU-size (sizelength) | AU-Index (indexlength)
//                     next:  AU-size (sizelength) | AU-Index-delta (indexdeltalength)
//  (AAC-hbr: 13 + 3 bits; AAC-lbr: 6 + 2 bits.) No auxiliary section in the AAC modes.
//
// Several access units in a packet follow each other in time (frame_duration apart). One access
// unit larger than a packet is fragmented (§3.2.3): each fragment carries one AU header with the
// size of the whole unit, all fragments have the same timestamp, the marker bit is set on the
// last. A fragment lost (a gap in sequence numbers) drops the whole unit. Interleaving (a non-zero
// AU-Index or AU-Index-delta) is refused: no live AAC sender we meet uses it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transcode/fragmenting_depacketizer.hpp"

namespace callcast::transcode {

struct AuHeaderLayout {
  unsigned size_length = 13;  // 0 with the two others 0: no AU header section at all
  unsigned index_length = 3;
  unsigned index_delta_length = 3;
};

class AacAuDepacketizer final : public FragmentingDepacketizer {
 public:
  // frame_duration: RTP clock ticks per access unit (1024 for AAC with the clock at its rate).
  static Result<std::unique_ptr<AacAuDepacketizer>, std::string> create(
      const AuHeaderLayout& layout, std::uint32_t frame_duration);

 private:
  AacAuDepacketizer(const AuHeaderLayout& layout, std::uint32_t frame_duration);
  Result<std::span<const AccessUnit>, std::string> assemble(const AudioRtpPacket& packet) override;
  Result<std::span<const AccessUnit>, std::string> add_fragment(const AudioRtpPacket& packet,
                                                                rtp::Bytes data,
                                                                std::size_t unit_size);

  AuHeaderLayout layout_;
  std::uint32_t frame_duration_;
  std::array<AccessUnit, kMaxAccessUnitsPerPacket> units_{};
  std::array<std::size_t, kMaxAccessUnitsPerPacket> sizes_{};
  std::size_t fragment_unit_size_ = 0;  // 0: no AU header section, the marker ends the unit
};

}  // namespace callcast::transcode
