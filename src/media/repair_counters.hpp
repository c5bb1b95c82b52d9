#pragma once
// What loss repair (module 608) did for a viewer, or for all of a group's viewers. Kept on the
// media loop only (NACKs are served there), so plain integers.
#include <cstdint>

namespace callcast::media {

struct RepairCounters {
  std::uint64_t nacks_received = 0;    // generic NACK messages (RFC 4585 §6.2.1)
  std::uint64_t packets_repaired = 0;  // packets resent (original or RTX)
  std::uint64_t misses = 0;            // asked for, but older than the window or never relayed
  std::uint64_t capped = 0;            // asked for, in the ring, but over the viewer's budget
  std::uint64_t repeats = 0;  // asked again within ResendHistory::hold_off of its last resend

  void add(const RepairCounters& other) {
    nacks_received += other.nacks_received;
    packets_repaired += other.packets_repaired;
    misses += other.misses;
    capped += other.capped;
    repeats += other.repeats;
  }
};

}  // namespace callcast::media
