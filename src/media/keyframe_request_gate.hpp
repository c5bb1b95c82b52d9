#pragma once
// The keyframe requests of one group's viewers (RTCP PLI and FIR, and the relay's own when a
// viewer's loss is past repair), merged into at most one request to the publisher per interval
// (issue 12 item 3, step 709). A forced IDR costs the whole group several times a usual frame's
// bytes, and a hundred viewers behind lossy links would otherwise ask for one every few ms.
//
// A request that finds the gate shut is remembered, not dropped: it leaves when the interval
// ends, unless a keyframe the publisher sent after it (asked for or not) has answered it.
// Pure logic: the caller passes the time, so tests drive it without sleeping.
#include <cstdint>

#include "media/relay_packet.hpp"

namespace callcast::media {

// publisher_loss: the relay's own, for a packet the publisher never resent after our NACKs.
enum class KeyframeRequestSource { pli, fir, repair_miss, publisher_loss };

class KeyframeRequestGate {
 public:
  // Precondition: interval > 0.
  explicit KeyframeRequestGate(Clock::duration interval) : interval_(interval) {}

  // A viewer asks for a keyframe. True: send one request to the publisher now.
  bool request(KeyframeRequestSource source, Clock::time_point now);
  // True once a merged request is due (the interval since the last one sent has passed): send it
  // now. The caller polls it from its periodic tick.
  bool due(Clock::time_point now);
  // The publisher's next keyframe started (at `now`): it answers every request made before it.
  void keyframe_arrived(Clock::time_point now);

  Clock::duration interval() const { return interval_; }
  bool pending() const { return pending_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t received_pli() const { return received_pli_; }
  std::uint64_t received_fir() const { return received_fir_; }
  std::uint64_t repair_misses() const { return repair_misses_; }
  std::uint64_t publisher_losses() const { return publisher_losses_; }
  std::uint64_t sent() const { return sent_; }
  // Requests answered without one of their own: merged into one sent, or by a keyframe.
  std::uint64_t merged() const { return received_ - answered_by_own_; }

 private:
  bool open(Clock::time_point now) const { return !sent_any_ || now - last_sent_ >= interval_; }
  void send(Clock::time_point now);

  Clock::duration interval_;
  bool sent_any_ = false;
  Clock::time_point last_sent_{};
  bool pending_ = false;
  Clock::time_point pending_since_{};
  std::uint64_t received_ = 0;
  std::uint64_t received_pli_ = 0;
  std::uint64_t received_fir_ = 0;
  std::uint64_t repair_misses_ = 0;
  std::uint64_t publisher_losses_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_by_own_ = 0;  // requests that left as a request of their own
};

}  // namespace callcast::media
