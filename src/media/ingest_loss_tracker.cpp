#include "media/ingest_loss_tracker.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace callcast::media {

void IngestLossCounters::add(const IngestLossCounters& other) {
  nacks_sent += other.nacks_sent;
  holes += other.holes;
  reordered += other.reordered;
  recovered += other.recovered;
  given_up += other.given_up;
  resyncs += other.resyncs;
}

IngestLossTracker::IngestLossTracker(IngestLossSettings settings)
    : settings_(settings), round_trip_(settings.initial_round_trip) {}

Clock::duration IngestLossTracker::retry_interval() const {
  return std::max(round_trip_ * 3 / 2, settings_.min_retry_interval);
}

void IngestLossTracker::reset() {
  started_ = false;
  arrivals_ = 0;
  holes_.clear();
  gave_up_ = false;
}

std::int64_t IngestLossTracker::extend(std::uint16_t sequence) const {
  // The nearest extended number with these low 16 bits: RFC 3550 A.1's wrap handling, both ways.
  const auto delta = static_cast<std::int16_t>(
      static_cast<std::uint16_t>(sequence - static_cast<std::uint16_t>(highest_)));
  return highest_ + delta;
}

void IngestLossTracker::start_at(std::int64_t sequence) {
  started_ = true;
  highest_ = sequence;
  holes_.clear();
}

void IngestLossTracker::give_up_front() {
  holes_.pop_front();
  ++counters_.given_up;
  gave_up_ = true;
}

void IngestLossTracker::on_packet(std::uint16_t sequence, Clock::time_point now) {
  ++arrivals_;
  if (!started_) {
    start_at(sequence);
    return;
  }
  const std::int64_t extended = extend(sequence);
  const std::int64_t delta = extended - highest_;
  if (std::llabs(delta) > settings_.max_jump) {
    // A sender that restarted numbers from elsewhere: what it lost before is no longer asked
    // for (its resends would carry the old numbers it no longer has) nor counted lost.
    ++counters_.resyncs;
    start_at(extended);
    return;
  }
  if (delta > 0) {
    const auto missing = static_cast<std::uint64_t>(delta - 1);
    counters_.holes += missing;
    // More missing than can be tracked: the oldest are lost at once, uncounted as NACKed.
    const std::uint64_t kept = std::min<std::uint64_t>(missing, settings_.max_holes);
    counters_.given_up += missing - kept;
    gave_up_ = gave_up_ || missing > kept;
    for (std::int64_t s = extended - static_cast<std::int64_t>(kept); s < extended; ++s) {
      if (holes_.size() >= settings_.max_holes) give_up_front();
      holes_.push_back(Hole{s, now, arrivals_ - 1, {}, 0});
    }
    highest_ = extended;
    return;
  }
  if (delta == 0) return;  // a duplicate of the newest
  const auto it = std::lower_bound(holes_.begin(), holes_.end(), extended,
                                   [](const Hole& h, std::int64_t s) { return h.sequence < s; });
  if (it == holes_.end() || it->sequence != extended) return;  // a duplicate, or given up
  if (it->nacks == 0) {
    ++counters_.reordered;
  } else {
    ++counters_.recovered;
    if (it->nacks == 1) {
      // Karn: only a hole NACKed once says which NACK its resend answered. Smoothed as RFC 6298
      // does, so one resend delayed behind a frame does not swing the retry interval.
      const Clock::duration sample = now - it->last_nack;
      round_trip_ = (round_trip_ * 7 + sample) / 8;
    }
  }
  holes_.erase(it);
}

IngestLossDue IngestLossTracker::due(Clock::time_point now) {
  IngestLossDue out;
  const Clock::duration retry = retry_interval();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < holes_.size(); ++i) {
    Hole& hole = holes_[i];
    bool give_up = now - hole.seen >= settings_.give_up_after;
    bool nack = false;
    if (!give_up && hole.nacks == 0) {
      nack = arrivals_ - hole.arrivals_before >= settings_.reorder_packets ||
             now - hole.seen >= settings_.reorder_wait;
    } else if (!give_up && now - hole.last_nack >= retry) {
      // Its last NACK had a whole retry interval to be answered.
      give_up = hole.nacks > settings_.max_retries;
      nack = !give_up;
    }
    if (give_up) {
      ++counters_.given_up;
      gave_up_ = true;
      continue;
    }
    if (nack) {
      ++hole.nacks;
      hole.last_nack = now;
      ++counters_.nacks_sent;
      out.nacks.push_back(static_cast<std::uint16_t>(hole.sequence));
    }
    if (kept != i) holes_[kept] = hole;
    ++kept;
  }
  holes_.resize(kept);
  out.keyframe_needed = std::exchange(gave_up_, false);
  return out;
}

}  // namespace callcast::media
