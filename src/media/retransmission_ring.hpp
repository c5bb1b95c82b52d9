#pragma once
// The retransmission ring of one track (module 608, DESIGN.md §7): the relayed packets of the last
// `window`, indexed by their (rewritten) sequence number, so that a viewer's NACK is answered from
// the same shared buffers the fan-out sent. One ring per track serves every viewer: no per-viewer
// memory. The relay numbers a track gaplessly, so slot `seq & mask` holds `seq` until the ring has
// gone round once; it grows (doubling, up to `max_packets`) rather than overwrite a packet still
// inside the window, and never shrinks: steady state allocates nothing.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/relay_packet.hpp"

namespace callcast::media {

enum class RingLookup {
  found,
  expired,    // relayed longer ago than the window: too late to help the viewer's decoder
  not_found,  // never relayed, or overwritten (the ring was at max_packets), or a future number
};

class RetransmissionRing {
 public:
  // `window` zero: repair is off, push() keeps nothing.
  RetransmissionRing(Clock::duration window, std::size_t max_packets);

  void push(const SharedPacket& packet, Clock::time_point now);
  // `packet` is set when found.
  RingLookup find(std::uint16_t sequence, Clock::time_point now, SharedPacket& packet) const;
  // Forgets every packet (at a stall: they are as old as the stall).
  void clear();

  Clock::duration window() const { return window_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    SharedPacket packet;
    Clock::time_point at{};
  };
  void grow();

  Clock::duration window_;
  std::size_t max_packets_;
  std::vector<Slot> slots_;  // a power of two in size
};

}  // namespace callcast::media
