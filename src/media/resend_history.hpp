#pragma once
// The packets lately resent to one viewer's track, so that a NACK repeated before the first
// retransmission could have arrived does not send it again (WebRTC's RTPSender and mediasoup's
// RtpStreamSend skip a packet resent within one round trip the same way). rtspsrc's jitter
// buffer re-asks every few milliseconds on a fast path, and every repeat would cost the viewer's
// budget the bytes its next real loss needs.
#include <array>
#include <cstdint>

#include "media/relay_packet.hpp"

namespace callcast::media {

class ResendHistory {
 public:
  // No round-trip estimate yet: the one of a path across a city (and more than the time a
  // player on a LAN takes to ask again).
  static constexpr Clock::duration kHoldOff = std::chrono::milliseconds(40);

  // True when `sequence` was not resent within kHoldOff; records it as resent at `now` then.
  bool may_resend(std::uint16_t sequence, Clock::time_point now) {
    Entry& entry = entries_[sequence % entries_.size()];
    if (entry.used && entry.sequence == sequence && now - entry.at < kHoldOff) return false;
    entry = {sequence, now, true};
    return true;
  }

 private:
  struct Entry {
    std::uint16_t sequence = 0;
    Clock::time_point at{};
    bool used = false;
  };
  std::array<Entry, 32> entries_{};  // a burst of losses between two NACKs fits
};

}  // namespace callcast::media
