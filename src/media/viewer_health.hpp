#pragma once
// How well one viewer's path carries the group's video (issue 12 item 4, module 608): from its
// RTCP receiver reports (cumulative loss, jitter, round trip from LSR/DLSR) and the NACKs it sends,
// a verdict with hysteresis: clear, congested, or holding in between.
//
// The verdict weighs the loss that repair could not make whole, not the loss of the path. A
// wireless path that drops 10 % at random but whose every loss is resent in time is not congested:
// thinning such a viewer (keyframes only) threw away 70 % of the frames repair had saved. So the
// loss judged is the residual: what the viewer NACKed and could not be resent (past the window or
// over its budget), or what its reports still count lost once the repairs sent are taken off them.
// How: a player that gets repairs as the original packet counts them received (its report is
// after repair); one that gets them on an RFC 4588 RTX stream counts them on the RTX SSRC, so its
// report of the media SSRC is before repair and the repairs sent are subtracted. Delay is the round
// trip above the lowest seen for this viewer: a queue building on its path (a rate above its
// capacity) shows there before any loss, and repair does not hide it. The path's loss (the larger
// of the reported and the NACKed share) is kept for the stats. The group policy only lowers the
// publisher's rate when many viewers agree (GroupRatePolicy). Pure logic: the caller passes time.
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "media/relay_packet.hpp"

namespace callcast::media {

struct HealthThresholds {
  // Residual loss at or above: congested (the loss-based rule of RMCAT GCC, applied to what
  // repair leaves).
  double congested_loss = 0.10;
  double clear_loss = 0.02;  // at or below, with the delay also low: clear
  Clock::duration congested_delay = std::chrono::milliseconds(200);  // round trip above its floor
  Clock::duration clear_delay = std::chrono::milliseconds(50);
};

enum class PathVerdict { unknown, clear, holding, congested };
std::string_view to_string(PathVerdict verdict);

struct ReceiverFigures {               // one receiver report block about the video track
  std::int32_t cumulative_lost = 0;    // RFC 3550: expected minus received since the start
  std::uint32_t highest_sequence = 0;  // extended
  double jitter_ms = 0;
  std::optional<Clock::duration> round_trip;  // from LSR/DLSR, when the report had one
  // Repairs reach this viewer as the original packet, which its report counts as received.
  bool repairs_counted = true;
  // Its first seconds after PLAY: the catch-up burst at many times the rate fills its path's
  // queue and loses what a live rate would not. Such a report only starts the next interval.
  bool settling = false;
};

class ViewerHealth {
 public:
  explicit ViewerHealth(HealthThresholds thresholds = {}) : thresholds_(thresholds) {}

  // A sequence number named in one of its NACKs, and whether it was resent (or its resending is
  // under way). Counted once: a player asks again for what has not come (the retransmission was
  // lost too, or refused as a repeat), and counting each request read a 5 % path as 12-25 % lost
  // and thinned a viewer whose repair was working. A packet refused once counts unrepaired.
  void on_nack(std::uint16_t sequence, bool resent);
  void on_report(const ReceiverFigures& figures, Clock::time_point now);
  // Periodic, with the count of video packets sent to this viewer so far. A player under heavy
  // loss may send only early feedback packets, whose receiver report holds no report block
  // (GStreamer's rtpsession under AVPF): its path is then judged from its NACKs against the
  // packets it was sent, once no report judged it for kReportSilence while it NACKed.
  void on_tick(std::uint64_t packets_sent, Clock::time_point now);

  PathVerdict verdict() const { return verdict_; }
  // Since when the verdict has been what it is.
  Clock::time_point verdict_since() const { return verdict_since_; }
  double loss() const { return loss_; }  // the path's, over the last judged interval
  double residual_loss() const { return residual_loss_; }  // what repair left, same interval
  std::optional<Clock::duration> queue_delay() const { return queue_delay_; }
  std::optional<Clock::duration> round_trip() const { return last_round_trip_; }
  std::uint64_t reports() const { return reports_; }

 private:
  HealthThresholds thresholds_;
  PathVerdict verdict_ = PathVerdict::unknown;
  Clock::time_point verdict_since_{};
  void judge(double loss, double residual, Clock::time_point now);
  void update_verdict(Clock::time_point now);
  void start_interval();

  double loss_ = 0;
  double residual_loss_ = 0;
  bool loss_judged_ = false;
  std::optional<Clock::duration> queue_delay_;
  std::optional<Clock::duration> last_round_trip_;
  std::optional<Clock::duration> min_round_trip_;
  // The interval being counted: from the report (or silent judgement) that started it.
  std::optional<std::uint32_t> last_highest_;
  std::int32_t last_cumulative_lost_ = 0;
  std::size_t nacked_since_report_ = 0;
  std::size_t unrepaired_since_report_ = 0;
  std::uint64_t packets_sent_ = 0;
  std::uint64_t sent_at_interval_start_ = 0;
  Clock::time_point judged_at_{};
  bool ticked_ = false;
  static constexpr std::uint32_t kMinJudgedPackets = 50;
  static constexpr Clock::duration kReportSilence = std::chrono::seconds(2);
  // The sequence numbers it NACKed lately, by number modulo their count: far more than a
  // retransmission window's losses (a 2 Mbit/s stream loses ~9 packets in 500 ms at 10 %).
  std::array<std::uint16_t, 256> nacked_{};
  std::bitset<256> nacked_used_;
  std::bitset<256> nacked_unrepaired_;
  std::uint64_t reports_ = 0;
};

}  // namespace callcast::media
