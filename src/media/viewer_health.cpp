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

void ViewerHealth::on_nack(std::uint16_t sequence, bool resent) {
  const std::size_t slot = sequence % nacked_.size();
  if (nacked_used_.test(slot) && nacked_[slot] == sequence) {
    if (!resent && !nacked_unrepaired_.test(slot)) {
      nacked_unrepaired_.set(slot);
      ++unrepaired_since_report_;
    }
    return;
  }
  nacked_used_.set(slot);
  nacked_[slot] = sequence;
  nacked_unrepaired_.set(slot, !resent);
  ++nacked_since_report_;
  if (!resent) ++unrepaired_since_report_;
}

void ViewerHealth::start_interval() {
  nacked_since_report_ = 0;
  unrepaired_since_report_ = 0;
  sent_at_interval_start_ = packets_sent_;
}

void ViewerHealth::on_report(const ReceiverFigures& figures, Clock::time_point now) {
  ++reports_;
  if (figures.round_trip) {
    last_round_trip_ = figures.round_trip;
    if (!figures.settling) {
      min_round_trip_ =
          min_round_trip_ ? std::min(*min_round_trip_, *figures.round_trip) : *figures.round_trip;
      queue_delay_ = *figures.round_trip - *min_round_trip_;
    }
  }
  // The packets expected since the interval began: the advance of its highest sequence number.
  // A first report, one that went backwards (a new publisher) or one while settling starts an
  // interval. A player sends a report with each early feedback packet (a few packets apart under
  // loss): loss is judged over at least kMinJudgedPackets, or one NACK would read as 100 % lost.
  if (figures.settling || !last_highest_ || figures.highest_sequence < *last_highest_) {
    last_highest_ = figures.highest_sequence;
    last_cumulative_lost_ = figures.cumulative_lost;
    start_interval();
  } else if (const std::uint32_t expected = figures.highest_sequence - *last_highest_;
             expected >= kMinJudgedPackets) {
    const auto share = [expected](double count) {
      return std::clamp(count / static_cast<double>(expected), 0.0, 1.0);
    };
    const double reported =
        share(static_cast<double>(figures.cumulative_lost) - last_cumulative_lost_);
    const double nacked = share(static_cast<double>(nacked_since_report_));
    const double unrepaired = share(static_cast<double>(unrepaired_since_report_));
    const double resent =
        share(static_cast<double>(nacked_since_report_ - unrepaired_since_report_));
    const double reported_after_repair =
        figures.repairs_counted ? reported : std::max(0.0, reported - resent);
    last_highest_ = figures.highest_sequence;
    last_cumulative_lost_ = figures.cumulative_lost;
    start_interval();
    judge(std::max(reported, nacked), std::max(unrepaired, reported_after_repair), now);
    return;
  }
  if (loss_judged_) update_verdict(now);  // the delay, against the loss last judged
}

void ViewerHealth::on_tick(std::uint64_t packets_sent, Clock::time_point now) {
  const bool first = !ticked_;
  ticked_ = true;
  packets_sent_ = packets_sent;
  if (first) {
    sent_at_interval_start_ = packets_sent;
    judged_at_ = now;
    return;
  }
  // Only a player that is asking for packets tells what it lacks: one silent altogether (or one
  // that NACKs only with its reports, as ffmpeg does) keeps the verdict it had.
  if (nacked_since_report_ == 0 || now - judged_at_ < kReportSilence) return;
  const std::uint64_t expected = packets_sent - sent_at_interval_start_;
  if (expected < kMinJudgedPackets) return;
  const double nacked = static_cast<double>(nacked_since_report_) / static_cast<double>(expected);
  const double unrepaired =
      static_cast<double>(unrepaired_since_report_) / static_cast<double>(expected);
  last_highest_.reset();  // its next report starts an interval of its own
  start_interval();
  judge(std::min(1.0, nacked), std::min(1.0, unrepaired), now);
}

void ViewerHealth::judge(double loss, double residual, Clock::time_point now) {
  loss_ = loss;
  residual_loss_ = residual;
  loss_judged_ = true;
  judged_at_ = now;
  update_verdict(now);
}

void ViewerHealth::update_verdict(Clock::time_point now) {
  const bool delay_high = queue_delay_ && *queue_delay_ >= thresholds_.congested_delay;
  const bool delay_low = !queue_delay_ || *queue_delay_ <= thresholds_.clear_delay;

  PathVerdict next = verdict_;
  if (residual_loss_ >= thresholds_.congested_loss || delay_high) {
    next = PathVerdict::congested;
  } else if (residual_loss_ <= thresholds_.clear_loss && delay_low) {
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
