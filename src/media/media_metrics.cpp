#include "media/media_metrics.hpp"

#include <atomic>
#include <chrono>

#include "media/group_media.hpp"
#include "stats/catalog.hpp"

namespace callcast::media {

void DeliveryTotals::add(const DeliveryCounters& counters) {
  packets_sent += counters.packets_sent.load(std::memory_order_relaxed);
  bytes_sent += counters.bytes_sent.load(std::memory_order_relaxed);
  packets_dropped += counters.packets_dropped.load(std::memory_order_relaxed);
}

MediaMetrics::MediaMetrics()
    : join_(stats::kViewerJoin), loss_(stats::kReportedLoss), jitter_(stats::kReportedJitter) {}

void MediaMetrics::group_gone(const GroupMedia& media) {
  for (const TrackRelay& track : media.tracks()) {
    received_packets_ += track.packets();
    received_bytes_ += track.bytes();
  }
  malformed_rtcp_ += media.malformed_rtcp();
  repair_.add(media.repair_totals());
  qos_.add(QosCounters::of(media.qos()));
  publisher_loss_.add(media.publisher_loss());
  for (const auto& [id, viewer] : media.viewers())
    retired_.add(*viewer->delivery);
}

void MediaMetrics::keyframe_sent(MediaMetrics* metrics, Viewer& viewer, Clock::time_point now) {
  if (!viewer.play_requested) return;
  if (metrics != nullptr) {
    metrics->join_.observe(std::chrono::duration<double>(now - *viewer.play_requested).count());
  }
  viewer.play_requested.reset();
}

void MediaMetrics::reception_reported(double fraction_lost, double jitter_seconds) {
  loss_.observe(fraction_lost);
  jitter_.observe(jitter_seconds);
}

void MediaMetrics::expose(stats::Exposition& out) const {
  out.add(stats::kViewerJoin, join_);
  out.add(stats::kReportedLoss, loss_);
  out.add(stats::kReportedJitter, jitter_);
}

}  // namespace callcast::media
