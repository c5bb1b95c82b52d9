#include "loadgen/viewer_tally.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "rtp/rtp_packet_view.hpp"

namespace callcast::loadgen {

void LatencyHistogram::add(std::int64_t latency_ns) {
  if (latency_ns < 0) latency_ns = 0;
  const auto bucket =
      std::min<std::size_t>(static_cast<std::size_t>(latency_ns / kBucketNs), kBuckets - 1);
  ++buckets_[bucket];
  ++count_;
  max_ns_ = std::max(max_ns_, latency_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

double LatencyHistogram::percentile_ms(double p) const {
  if (count_ == 0) return 0;
  const auto rank =
      static_cast<std::uint64_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const double edge_ms =
          static_cast<double>((static_cast<std::int64_t>(i) + 1) * kBucketNs) / 1e6;
      return std::min(edge_ms, max_ms());
    }
  }
  return max_ms();
}

void ViewerTally::on_packet(MediaKind kind, std::span<const std::uint8_t> rtp, std::int64_t now_ns,
                            const MeasureWindow& window, const PublishLedger& ledger,
                            WindowTraffic& traffic) {
  const auto view = rtp::RtpPacketView::parse(rtp);
  if (!view) {
    ++unmatched_;
    return;
  }
  if (packets_++ == 0) first_packet_ns_.store(now_ns, std::memory_order_relaxed);
  const std::int64_t window_start = window.start_ns.load(std::memory_order_relaxed);
  const std::int64_t window_end = window.end_ns.load(std::memory_order_relaxed);
  const bool in_window = now_ns >= window_start && now_ns < window_end;
  const auto track = static_cast<std::size_t>(kind);

  if (kind == MediaKind::video) {
    if (!have_video_ts_) {
      video_ts_ = view->timestamp();
      have_video_ts_ = true;
    } else {
      video_ts_ += static_cast<std::int32_t>(view->timestamp() - last_video_ts_);
    }
    last_video_ts_ = view->timestamp();
    if (now_ns < window_start) {
      ts_at_start_ = video_ts_;
      have_ts_at_start_ = true;
    } else if (in_window && !have_first_ts_in_window_) {
      first_ts_in_window_ = video_ts_;
      have_first_ts_in_window_ = true;
    }
    if (now_ns < window_end) {
      ts_at_end_ = video_ts_;
      have_ts_at_end_ = true;
    }
  }

  const auto match = ledger.match(view->payload_type(), view->payload(), last_index_[track]);
  if (in_window) {
    ++traffic.packets;
    traffic.bytes += rtp.size();
    if (match) traffic.latency.add(now_ns - match->sent_ns);
  }
  if (!match) {
    ++unmatched_;
    return;
  }
  const std::int64_t first = window.first_index.load(std::memory_order_relaxed);
  if (match->index >= first) {
    const auto offset = static_cast<std::uint64_t>(match->index - first);
    if (offset / 64 < window_bits_.size()) {
      std::uint64_t& word = window_bits_[offset / 64];
      const std::uint64_t bit = std::uint64_t{1} << (offset % 64);
      if ((word & bit) != 0) {
        ++duplicates_;
        return;
      }
      word |= bit;
    }
    if (match->index < last_index_[track]) ++reordered_;
  }
  last_index_[track] = std::max(last_index_[track], match->index);
}

ViewerFigures ViewerTally::figures(std::int64_t first, std::int64_t last, double window_s,
                                   const PacketizedClip* video_only) const {
  ViewerFigures out;
  out.duplicates = duplicates_;
  out.reordered = reordered_;
  out.unmatched = unmatched_;
  out.packets = packets_;
  if (last >= first && video_only != nullptr) {
    std::uint64_t expected = 0;
    std::uint64_t received = 0;
    const std::uint64_t covered = window_bits_.size() * 64;
    for (std::int64_t index = first; index <= last; ++index) {
      if (video_only->at(static_cast<std::uint64_t>(index)).kind != MediaKind::video) continue;
      ++expected;
      const auto offset = static_cast<std::uint64_t>(index - first);
      if (offset < covered && (window_bits_[offset / 64] >> (offset % 64) & 1u) != 0) ++received;
    }
    out.expected = expected;
    out.received = received;
    out.lost = expected - received;
  } else if (last >= first) {
    const auto count = static_cast<std::uint64_t>(last - first + 1);
    out.expected = count;
    const std::uint64_t covered = std::min<std::uint64_t>(count, window_bits_.size() * 64);
    std::uint64_t received = 0;
    for (std::uint64_t word = 0; word * 64 < covered; ++word) {
      std::uint64_t bits = window_bits_[word];
      const std::uint64_t left = covered - word * 64;
      if (left < 64) bits &= (std::uint64_t{1} << left) - 1;
      received += static_cast<std::uint64_t>(std::popcount(bits));
    }
    out.received = received;
    out.lost = count - received;
  }
  // A viewer with no video before the window is measured from its first in the window.
  const bool have_start = have_ts_at_start_ || have_first_ts_in_window_;
  const std::int64_t start = have_ts_at_start_ ? ts_at_start_ : first_ts_in_window_;
  if (have_start && have_ts_at_end_ && window_s > 0) {
    out.realtime = static_cast<double>(ts_at_end_ - start) / 90000.0 / window_s;
  }
  return out;
}

}  // namespace callcast::loadgen
