#pragma once
// The packets lately resent to one viewer's track, so that a NACK repeated before the first
// retransmission could have arrived does not send it again (WebRTC's RTPSender and mediasoup's
// RtpStreamSend skip a packet resent within one round trip the same way). rtspsrc's jitter
// buffer re-asks every few milliseconds on a fast path, and every repeat would cost the viewer's
// budget the bytes its next real loss needs. The hold-off is half the viewer's round trip: a
// player re-asks about one round trip after its last request, and its NACKs wait for its RTCP
// slot, so two requests a round trip apart can reach us closer together than that; a fixed 40 ms
// refused the third try of a viewer 50 ms away, and its picture stayed damaged until the next
// keyframe.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "media/relay_packet.hpp"

namespace callcast::media {

class ResendHistory {
 public:
  // No round-trip estimate yet: half that of a path across a country.
  static constexpr Clock::duration kHoldOff = std::chrono::milliseconds(20);
  static constexpr Clock::duration kMinHoldOff = std::chrono::milliseconds(5);
  static constexpr Clock::duration kMaxHoldOff = std::chrono::milliseconds(40);

  static Clock::duration hold_off(std::optional<Clock::duration> round_trip) {
    if (!round_trip) return kHoldOff;
    return std::clamp<Clock::duration>(*round_trip / 2, kMinHoldOff, kMaxHoldOff);
  }

  // Whether `sequence` was resent within `within` before `now`: asked for again after that, its
  // retransmission was lost too.
  bool resent_within(std::uint16_t sequence, Clock::time_point now, Clock::duration within) const {
    const Entry& entry = entries_[sequence % entries_.size()];
    return entry.used && entry.sequence == sequence && now - entry.at <= within;
  }

  // True when `sequence` was not resent within `hold_off`; records it as resent at `now` then.
  bool may_resend(std::uint16_t sequence, Clock::time_point now,
                  Clock::duration hold_off = kHoldOff) {
    Entry& entry = entries_[sequence % entries_.size()];
    if (entry.used && entry.sequence == sequence && now - entry.at < hold_off) return false;
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
