#pragma once
// What the two AAC depacketizers (RFC 3640 AU headers, RFC 6416 LATM) share: packets taken in
// sequence order (a late one dropped, a gap or restart ending the unit under way), a unit
// reassembled across packets, and the counters. Each format only says how a packet's payload
// becomes access units (assemble()).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "transcode/audio_depacketizer.hpp"
#include "transcode/packet_sequence.hpp"

namespace callcast::transcode {

class FragmentingDepacketizer : public AudioDepacketizer {
 public:
  Result<std::span<const AccessUnit>, std::string> push(const AudioRtpPacket& packet) final;
  const DepacketizerCounters& counters() const final { return counters_; }

 protected:
  // `fragment_capacity`: the most bytes one reassembled unit may hold (reserved once).
  explicit FragmentingDepacketizer(std::size_t fragment_capacity);
  // The access units this in-order packet completes; an error counts it malformed and drops the
  // unit under way.
  virtual Result<std::span<const AccessUnit>, std::string> assemble(
      const AudioRtpPacket& packet) = 0;
  void drop_fragment();  // counted as broken when a unit was under way

  std::vector<std::uint8_t> fragment_;
  bool in_fragment_ = false;
  std::uint32_t fragment_timestamp_ = 0;

 private:
  PacketSequence sequence_;
  DepacketizerCounters counters_;
};

}  // namespace callcast::transcode
