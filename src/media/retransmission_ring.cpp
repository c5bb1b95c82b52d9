#include "media/retransmission_ring.hpp"

#include <algorithm>
#include <bit>

namespace callcast::media {

namespace {

// A 2 Mbit/s stream of ~1200-byte packets relays ~200 a second: 64 slots already hold 300 ms.
constexpr std::size_t kInitialSlots = 64;

}  // namespace

RetransmissionRing::RetransmissionRing(Clock::duration window, std::size_t max_packets)
    // The sequence number is 16 bits: more slots than that could never be told apart.
    : window_(window),
      max_packets_(std::bit_floor(std::clamp<std::size_t>(max_packets, 1, 65536))) {
  if (window_ > Clock::duration::zero()) slots_.resize(std::min(kInitialSlots, max_packets_));
}

void RetransmissionRing::push(const SharedPacket& packet, Clock::time_point now) {
  if (slots_.empty()) return;
  Slot* slot = &slots_[packet->sequence & (slots_.size() - 1)];
  if (slot->packet && now - slot->at <= window_ && slots_.size() < max_packets_) {
    grow();
    slot = &slots_[packet->sequence & (slots_.size() - 1)];
  }
  slot->packet = packet;
  slot->at = now;
}

void RetransmissionRing::grow() {
  std::vector<Slot> bigger(slots_.size() * 2);
  for (auto& slot : slots_) {
    if (slot.packet) bigger[slot.packet->sequence & (bigger.size() - 1)] = std::move(slot);
  }
  slots_ = std::move(bigger);
}

RingLookup RetransmissionRing::find(std::uint16_t sequence, Clock::time_point now,
                                    SharedPacket& packet) const {
  if (slots_.empty()) return RingLookup::not_found;
  const Slot& slot = slots_[sequence & (slots_.size() - 1)];
  if (!slot.packet || slot.packet->sequence != sequence) return RingLookup::not_found;
  if (now - slot.at > window_) return RingLookup::expired;
  packet = slot.packet;
  return RingLookup::found;
}

void RetransmissionRing::clear() {
  for (auto& slot : slots_)
    slot = Slot{};
}

}  // namespace callcast::media
