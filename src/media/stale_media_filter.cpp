#include "media/stale_media_filter.hpp"

#include <algorithm>
#include <cassert>

namespace callcast::media {

StaleMediaFilter::StaleMediaFilter(std::uint32_t clock_rate, Clock::duration bound)
    : clock_rate_(clock_rate == 0 ? 1 : clock_rate), bound_(bound) {
  assert(clock_rate > 0 && bound > Clock::duration::zero());
}

Clock::duration StaleMediaFilter::media_time(std::int64_t ticks) const {
  // |ticks| < 2^31, so ticks * 10^9 stays far inside 64 bits.
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(ticks * 1'000'000'000 / static_cast<std::int64_t>(clock_rate_)));
}

void StaleMediaFilter::anchor(std::uint32_t rtp_timestamp, Clock::time_point expected_arrival) {
  anchored_ = true;
  anchor_timestamp_ = rtp_timestamp;
  anchor_arrival_ = expected_arrival;
}

void StaleMediaFilter::reset() {
  anchored_ = false;
  stale_run_ = false;
  last_lag_ = {};
}

bool StaleMediaFilter::fresh(std::uint32_t rtp_timestamp, Clock::time_point arrival) {
  // Differences of 32-bit timestamps, read as signed: wrap-around is harmless.
  const auto step = static_cast<std::int32_t>(rtp_timestamp - last_timestamp_);
  const bool jumped_back = anchored_ && media_time(step) < -kMaxReorder;
  last_timestamp_ = rtp_timestamp;
  if (!anchored_ || jumped_back) {
    if (jumped_back) ++timeline_resets_;
    anchor(rtp_timestamp, arrival);
    stale_run_ = false;
    last_lag_ = {};
    return true;
  }
  const auto elapsed = media_time(static_cast<std::int32_t>(rtp_timestamp - anchor_timestamp_));
  const Clock::time_point expected = anchor_arrival_ + elapsed;
  const Clock::duration lag = arrival - expected;
  if (lag <= Clock::duration::zero()) {
    // The fastest path so far: the new reference.
    anchor(rtp_timestamp, arrival);
    stale_run_ = false;
    last_lag_ = {};
    return true;
  }
  last_lag_ = lag;
  if (lag <= bound_) {
    const auto allowance =
        elapsed > Clock::duration::zero()
            ? std::chrono::duration_cast<Clock::duration>(elapsed * kDriftAllowance)
            : Clock::duration::zero();
    anchor(rtp_timestamp, expected + std::min(lag, allowance));
    stale_run_ = false;
    return true;
  }
  if (!stale_run_ || lag + kShrinkStep <= run_best_lag_) {
    stale_run_ = true;
    run_best_lag_ = lag;
    run_best_at_ = arrival;
  } else if (arrival - run_best_at_ >= kSettleTime) {
    // Not a backlog draining: the publisher's timeline moved. Measure from here on.
    ++timeline_resets_;
    anchor(rtp_timestamp, arrival);
    stale_run_ = false;
    last_lag_ = {};
    return true;
  }
  ++stale_packets_;
  return false;
}

}  // namespace callcast::media
