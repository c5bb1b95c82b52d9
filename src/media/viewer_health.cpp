#include "media/viewer_health.hpp"

#include <algorithm>

namespace callcast::media {

std::string_view to_string(PathVerdict verdict) {
  switch (verdict) {
    case PathVerdict::unknown:
      return "unknown";
    case PathVerdict::clear:
      return "clear";
    case PathVerdict::holding:
      return "holding";
    case PathVerdict::congested:
      return "congested";
  }
  return "unknown";
}

void ViewerHealth::on_nack(std::uint16_t sequence) {
  const std::size_t slot = sequence % nacked_.size();
  if (nacked_used_.test(slot) && nacked_[slot] == sequence) return;
  nacked_used_.set(slot);
  nacked_[slot] = sequence;
  ++nacked_since_report_;
}

void ViewerHealth::on_report(const ReceiverFigures& figures, Clock::time_point now) {
  ++reports_;
  // The packets expected since the interval began: the advance of its highest sequence number.
  // A first report, or one that went backwards (a new publisher), starts an interval. A player
  // sends a report with each early feedback packet (a few packets apart under loss): the NACKed
  // share is judged over at least kMinJudgedPackets, or one NACK would read as 100 % lost.
  if (!last_highest_ || figures.highest_sequence < *last_highest_) {
    last_highest_ = figures.highest_sequence;
    nacked_since_report_ = 0;
    nack_loss_ = 0;
  } else if (const auto expected = figures.highest_sequence - *last_highest_;
             expected >= kMinJudgedPackets) {
    nack_loss_ = std::min(1.0, static_cast<double>(nacked_since_report_) / expected);
    last_highest_ = figures.highest_sequence;
    nacked_since_report_ = 0;
  }
  loss_ = std::clamp(std::max(figures.fraction_lost, nack_loss_), 0.0, 1.0);

  if (figures.round_trip) {
    last_round_trip_ = figures.round_trip;
    min_round_trip_ =
        min_round_trip_ ? std::min(*min_round_trip_, *figures.round_trip) : *figures.round_trip;
    queue_delay_ = *figures.round_trip - *min_round_trip_;
  }
  const bool delay_high = queue_delay_ && *queue_delay_ >= thresholds_.congested_delay;
  const bool delay_low = !queue_delay_ || *queue_delay_ <= thresholds_.clear_delay;

  PathVerdict next = verdict_;
  if (loss_ >= thresholds_.congested_loss || delay_high) {
    next = PathVerdict::congested;
  } else if (loss_ <= thresholds_.clear_loss && delay_low) {
    next = PathVerdict::clear;
  } else if (verdict_ == PathVerdict::unknown) {
    next = PathVerdict::holding;
  }
  if (next != verdict_) {
    verdict_ = next;
    verdict_since_ = now;
  }
}

}  // namespace callcast::media
