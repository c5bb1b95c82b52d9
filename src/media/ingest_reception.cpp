#include "media/ingest_reception.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>
#include <utility>

namespace callcast::media {

namespace {

// RFC 3550 A.1: a forward step this large or larger, or a step back of more than
// kMaxMisorder, is not the same run of sequence numbers.
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
constexpr std::uint32_t kSequenceCycle = 1U << 16;
// The signed 24 bits of a report block's cumulative loss.
constexpr std::int64_t kMaxCumulativeLost = 0x7FFFFF;
constexpr std::int64_t kMinCumulativeLost = -0x800000;

}  // namespace

void IngestReception::restart(std::uint32_t ssrc, std::uint16_t sequence) {
  const std::uint32_t clock_rate = clock_rate_;
  const auto sr = ssrc_ == ssrc ? std::optional(std::pair(last_sr_, last_sr_at_)) : std::nullopt;
  *this = IngestReception(clock_rate);
  ssrc_ = ssrc;
  // One cycle up, as loadgen's reception does: a packet reordered before the first one does
  // not wrap below zero.
  base_sequence_ = max_sequence_ = kSequenceCycle + sequence;
  if (sr) std::tie(last_sr_, last_sr_at_) = *sr;
}

void IngestReception::on_packet(std::uint32_t ssrc, std::uint16_t sequence,
                                std::uint32_t rtp_timestamp, Clock::time_point arrival) {
  if (ssrc_ != ssrc) {
    restart(ssrc, sequence);
  } else {
    const auto step =
        static_cast<std::uint16_t>(sequence - static_cast<std::uint16_t>(max_sequence_));
    if (step < kMaxDropout) {
      max_sequence_ += step;  // in order, with a gap or not (the cycles come with it)
    } else if (step <= kSequenceCycle - kMaxMisorder) {
      restart(ssrc, sequence);  // a jump: the sender started over
    } else {
      // Late (reordered, or resent after our NACK): counted received, not a new maximum. One
      // from before the first packet moves the base back.
      const std::uint32_t extended = max_sequence_ - (kSequenceCycle - step);
      base_sequence_ = std::min(base_sequence_, extended);
    }
  }
  ++received_;

  // A.8: transit in timestamp units, its change from the last packet's, smoothed by 1/16.
  const double seconds = std::chrono::duration<double>(arrival.time_since_epoch()).count();
  const auto arrival_units = static_cast<std::int64_t>(std::llround(seconds * clock_rate_));
  const std::int64_t transit = arrival_units - static_cast<std::int64_t>(rtp_timestamp);
  if (last_transit_) {
    // The timestamps' 32-bit wrap makes a difference of about 2^32: taken modulo, as an int32.
    const auto d = static_cast<std::int32_t>(static_cast<std::uint32_t>(transit - *last_transit_));
    jitter_ += (std::abs(static_cast<double>(d)) - jitter_) / 16.0;
  }
  last_transit_ = transit;
}

void IngestReception::on_sender_report(std::uint32_t ssrc, std::uint64_t ntp_timestamp,
                                       Clock::time_point arrival) {
  if (ssrc_ && *ssrc_ != ssrc) return;  // not the source this track receives
  last_sr_ = static_cast<std::uint32_t>(ntp_timestamp >> 16);
  last_sr_at_ = arrival;
}

std::uint64_t IngestReception::expected() const {
  return ssrc_ ? std::uint64_t{max_sequence_} - base_sequence_ + 1 : 0;
}

std::optional<rtp::ReportBlock> IngestReception::report(Clock::time_point now) {
  if (!ssrc_) return std::nullopt;
  rtp::ReportBlock block;
  block.ssrc = *ssrc_;
  const std::uint64_t expected = this->expected();
  const std::int64_t lost =
      static_cast<std::int64_t>(expected) - static_cast<std::int64_t>(received_);
  block.cumulative_lost =
      static_cast<std::int32_t>(std::clamp(lost, kMinCumulativeLost, kMaxCumulativeLost));
  // A.3: of this interval; duplicates that outnumber the losses read as none lost.
  const auto expected_interval = static_cast<std::int64_t>(expected - expected_prior_);
  const auto received_interval = static_cast<std::int64_t>(received_ - received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost = static_cast<std::uint8_t>(
        std::min<std::int64_t>(255, (lost_interval << 8) / expected_interval));
  }
  expected_prior_ = expected;
  received_prior_ = received_;
  block.highest_sequence = max_sequence_ - kSequenceCycle;
  block.jitter = static_cast<std::uint32_t>(jitter_);
  if (last_sr_at_) {
    // DLSR in units of 1/65536 s.
    block.last_sr = last_sr_;
    const double held = std::chrono::duration<double>(now - *last_sr_at_).count() * 65536.0;
    block.delay_since_last_sr = static_cast<std::uint32_t>(std::clamp(held, 0.0, 4294967295.0));
  }
  return block;
}

}  // namespace callcast::media
