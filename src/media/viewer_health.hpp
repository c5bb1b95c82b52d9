#pragma once
// How well one viewer's path carries the group's video (issue 12 item 4, module 608): from its
// RTCP receiver reports (fraction lost, jitter, round trip from LSR/DLSR) and the NACKs it sends,
// a verdict with hysteresis: clear, congested, or holding in between.
//
// Loss is the larger of the report's fraction lost and the share of the interval's packets the
// viewer NACKed: a player that gets repaired packets in time reports little loss in its receiver
// report, yet its path dropped what it NACKed. Delay is the round trip above the lowest seen for
// this viewer: a queue building up on its path (the sign of a rate above its capacity) shows there
// before any loss. Random loss on a wireless link reads as congestion too; the group policy only
// lowers the publisher's rate when many viewers agree (GroupRatePolicy).
// Pure logic: the caller passes the time.
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "media/relay_packet.hpp"

namespace callcast::media {

struct HealthThresholds {
  double congested_loss = 0.10;  // at or above: congested (the loss-based rule of RMCAT GCC)
  double clear_loss = 0.02;      // at or below, with the delay also low: clear
  Clock::duration congested_delay = std::chrono::milliseconds(200);  // round trip above its floor
  Clock::duration clear_delay = std::chrono::milliseconds(50);
};

enum class PathVerdict { unknown, clear, holding, congested };
std::string_view to_string(PathVerdict verdict);

struct ReceiverFigures {               // one receiver report block about the video track
  double fraction_lost = 0;            // 0..1
  std::uint32_t highest_sequence = 0;  // extended
  double jitter_ms = 0;
  std::optional<Clock::duration> round_trip;  // from LSR/DLSR, when the report had one
};

class ViewerHealth {
 public:
  explicit ViewerHealth(HealthThresholds thresholds = {}) : thresholds_(thresholds) {}

  // A sequence number named in one of its NACKs. Counted once: a player asks again for what has
  // not come (the retransmission was lost too, or refused as a repeat), and counting each request
  // read a 5 % path as 12-25 % lost and thinned a viewer whose repair was working.
  void on_nack(std::uint16_t sequence);
  void on_report(const ReceiverFigures& figures, Clock::time_point now);

  PathVerdict verdict() const { return verdict_; }
  // Since when the verdict has been what it is.
  Clock::time_point verdict_since() const { return verdict_since_; }
  double loss() const { return loss_; }  // as judged at the last report
  std::optional<Clock::duration> queue_delay() const { return queue_delay_; }
  std::optional<Clock::duration> round_trip() const { return last_round_trip_; }
  std::uint64_t reports() const { return reports_; }

 private:
  HealthThresholds thresholds_;
  PathVerdict verdict_ = PathVerdict::unknown;
  Clock::time_point verdict_since_{};
  double loss_ = 0;
  std::optional<Clock::duration> queue_delay_;
  std::optional<Clock::duration> last_round_trip_;
  std::optional<Clock::duration> min_round_trip_;
  std::optional<std::uint32_t> last_highest_;
  std::size_t nacked_since_report_ = 0;
  double nack_loss_ = 0;  // over the last judged interval
  static constexpr std::uint32_t kMinJudgedPackets = 50;
  // The sequence numbers it NACKed lately, by number modulo their count: far more than a
  // retransmission window's losses (a 2 Mbit/s stream loses ~9 packets in 500 ms at 10 %).
  std::array<std::uint16_t, 256> nacked_{};
  std::bitset<256> nacked_used_;
  std::uint64_t reports_ = 0;
};

}  // namespace callcast::media
