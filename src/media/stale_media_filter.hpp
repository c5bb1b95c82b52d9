#pragma once
// Tells, for one published track, which packets lag so far behind real time that relaying them
// would only burst stale media at the viewers (a publisher resuming after a stall, or a TCP
// connection delivering seconds of queued data at once after its link came back).
//
// Lag is measured against the track's own fastest path: an RTP timestamp (RFC 3550 §5.1) maps
// media time onto arrival time through the packet that arrived earliest for its media time seen
// so far (a running minimum of arrival - media time). A packet's lag is how much later it arrives
// than that mapping predicts; jitter, an I-frame's spread and TCP retransmissions make tens to
// hundreds of milliseconds, a stall's backlog makes seconds.
//   - The minimum may creep forwards by kDriftAllowance (1 ms per second of media, ten times a
//     poor crystal's drift), so a publisher whose clock runs slow is never pushed out by drift.
//   - A backlog drains faster than real time, so its lag shrinks from packet to packet; lag that
//     stays beyond the bound without shrinking for kSettleTime means the publisher's timeline
//     itself moved (its clock jumped back, its encoder restarted): that becomes the new
//     reference instead of dropping the track for good. So does a jump of the timestamp back
//     by more than kMaxReorder between two packets.
// Pure logic: the caller passes the arrival time, so tests drive time without sleeping.
#include <chrono>
#include <cstdint>

#include "media/relay_packet.hpp"

namespace callcast::media {

class StaleMediaFilter {
 public:
  static constexpr double kDriftAllowance = 0.001;
  static constexpr Clock::duration kSettleTime = std::chrono::seconds(1);
  static constexpr Clock::duration kShrinkStep = std::chrono::milliseconds(20);
  static constexpr Clock::duration kMaxReorder = std::chrono::seconds(1);

  // Precondition: clock_rate > 0, bound > 0.
  StaleMediaFilter(std::uint32_t clock_rate, Clock::duration bound);

  // True: relay it. False: it lags by more than the bound (counted in stale_packets()).
  bool fresh(std::uint32_t rtp_timestamp, Clock::time_point arrival);
  // A new publisher: a new timeline, measured from its first packet on.
  void reset();

  Clock::duration bound() const { return bound_; }
  Clock::duration last_lag() const { return last_lag_; }
  std::uint64_t stale_packets() const { return stale_packets_; }
  // Times the reference was given up for a timeline that moved (see above).
  std::uint64_t timeline_resets() const { return timeline_resets_; }

 private:
  Clock::duration media_time(std::int64_t ticks) const;
  void anchor(std::uint32_t rtp_timestamp, Clock::time_point expected_arrival);

  std::uint32_t clock_rate_;
  Clock::duration bound_;
  bool anchored_ = false;
  std::uint32_t anchor_timestamp_ = 0;
  Clock::time_point anchor_arrival_{};  // when a packet of anchor_timestamp_ was due
  std::uint32_t last_timestamp_ = 0;
  // The run of stale packets under way: its smallest lag and when that last shrank.
  bool stale_run_ = false;
  Clock::duration run_best_lag_{};
  Clock::time_point run_best_at_{};
  Clock::duration last_lag_{};
  std::uint64_t stale_packets_ = 0;
  std::uint64_t timeline_resets_ = 0;
};

}  // namespace callcast::media
