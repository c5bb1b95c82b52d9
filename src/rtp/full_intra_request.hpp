#pragma once
// Full Intra Request (RFC 5104 §4.3.1): PSFB, FMT=4. Like PLI it asks for a keyframe, but names
// the media sources in its FCI and numbers each request, so that a repeated FIR (same sequence
// number) is not answered twice.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|  FMT=4  |   PT=206      |          length               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             SSRC of media source (unused, sent as 0)          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                              SSRC                             |  one or more
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  entries
//  | Seq nr.       |    Reserved (0)                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::rtp {

struct FirEntry {
  std::uint32_t ssrc = 0;
  std::uint8_t sequence = 0;
  bool operator==(const FirEntry&) const = default;
};

struct FullIntraRequest {
  // A viewer asks for the few streams it watches; more entries are read up to here.
  static constexpr std::size_t kMaxEntries = 16;

  std::uint32_t sender_ssrc = 0;
  std::array<FirEntry, kMaxEntries> entries{};
  std::size_t entry_count = 0;
  bool truncated = false;  // the packet held more than kMaxEntries entries
};

// nullopt unless PSFB FMT=4 with at least one whole 8-byte entry and nothing else (an FCI that
// is not a whole number of entries is a lying length). The header's media SSRC is not read:
// RFC 5104 sets it to 0 and names the sources in the entries.
std::optional<FullIntraRequest> parse_full_intra_request(const RtcpPacketView& packet);

// Writes a FIR with one entry asking `media_ssrc` for a keyframe, numbered `sequence` (the
// caller increments it per new request, modulo 256); 0 when `out` is too small.
std::size_t write_full_intra_request(MutableBytes out, std::uint32_t sender_ssrc,
                                     std::uint32_t media_ssrc, std::uint8_t sequence);

}  // namespace callcast::rtp
