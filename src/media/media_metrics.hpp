#pragma once
// What the streaming server observes for GET /metrics beyond the counters it already keeps:
// the totals of viewers and connections that are gone (so that sent-packet counters never go
// down when a viewer leaves), and the histograms of join time and of what viewers' RTCP reports
// say. Lives on the media loop with the server: every update is a plain add, every read happens
// when a scrape runs on that loop.
#include <cstdint>

#include "media/delivery_counters.hpp"
#include "media/ingest_loss_tracker.hpp"
#include "media/qos_counters.hpp"
#include "media/relay_packet.hpp"
#include "media/repair_counters.hpp"
#include "media/viewer.hpp"
#include "stats/exposition.hpp"
#include "stats/histogram.hpp"

namespace callcast::media {

struct DeliveryTotals {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped = 0;

  void add(const DeliveryCounters& counters);
};

class GroupMedia;

class MediaMetrics {
 public:
  MediaMetrics();

  // A viewer is removed: what it was sent stays in the totals.
  void viewer_gone(const DeliveryCounters& counters) { retired_.add(counters); }
  // A group's media ends: its tracks' received packets, its remaining viewers' deliveries and its
  // repair and QoS counters stay in the totals.
  void group_gone(const GroupMedia& media);
  // A keyframe leaves for `viewer` (or is queued to leave at once): the first since its PLAY
  // ends its join time. `metrics` may be null (no metrics kept).
  static void keyframe_sent(MediaMetrics* metrics, Viewer& viewer, Clock::time_point now);
  // One report block of a viewer's RTCP receiver report.
  void reception_reported(double fraction_lost, double jitter_seconds);

  // Of the groups and viewers that are gone.
  const DeliveryTotals& retired() const { return retired_; }
  std::uint64_t retired_received_packets() const { return received_packets_; }
  std::uint64_t retired_received_bytes() const { return received_bytes_; }
  std::uint64_t retired_malformed_rtcp() const { return malformed_rtcp_; }
  const RepairCounters& retired_repair() const { return repair_; }
  const QosCounters& retired_qos() const { return qos_; }
  const IngestLossCounters& retired_publisher_loss() const { return publisher_loss_; }
  const stats::Histogram& join_times() const { return join_; }
  const stats::Histogram& reported_loss() const { return loss_; }
  const stats::Histogram& reported_jitter() const { return jitter_; }
  // The histograms' series.
  void expose(stats::Exposition& out) const;

 private:
  DeliveryTotals retired_;
  std::uint64_t received_packets_ = 0;
  std::uint64_t received_bytes_ = 0;
  std::uint64_t malformed_rtcp_ = 0;
  RepairCounters repair_;
  QosCounters qos_;
  IngestLossCounters publisher_loss_;
  stats::Histogram join_;
  stats::Histogram loss_;
  stats::Histogram jitter_;
};

}  // namespace callcast::media
