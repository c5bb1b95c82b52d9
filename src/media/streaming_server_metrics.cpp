// StreamingServer's series for GET /metrics, computed at scrape time on the event loop from the
// counters and tables it keeps anyway: nothing on the packet path changes for them.
#include <algorithm>
#include <array>

#include "media/group_media.hpp"
#include "media/qos_counters.hpp"
#include "media/streaming_server.hpp"
#include "stats/catalog.hpp"
#include "stats/counter_field.hpp"

namespace callcast::media {

namespace {

using Counters = StreamingServer::Counters;
template <class Struct>
using Field = stats::CounterField<Struct>;

constexpr std::array<Field<Counters>, 13> kServerCounters{{
    {&stats::kRtspConnectionsAccepted, "", "connections_accepted", &Counters::connections_accepted},
    {&stats::kRtspConnectionsRefused, "", "connections_refused", &Counters::connections_refused},
    {&stats::kMalformedInput, "rtsp_request", "bad_requests", &Counters::bad_requests},
    {&stats::kRtspUnauthorized, "", "unauthorized", &Counters::unauthorized},
    {&stats::kMalformedInput, "interleaved_channel", "wrong_channel_packets",
     &Counters::wrong_channel_packets},
    {&stats::kMalformedInput, "rtp", "malformed_rtp", &Counters::malformed_rtp},
    {&stats::kMalformedInput, "udp_unknown_source", "unknown_udp_datagrams",
     &Counters::unknown_udp_datagrams},
    // Issue 14: browsers' STUN checks refused, SRTP/SRTCP that did not authenticate.
    {&stats::kMalformedInput, "stun", "webrtc_stun_refused", &Counters::webrtc_stun_refused},
    {&stats::kMalformedInput, "srtp", "webrtc_srtp_rejected", &Counters::webrtc_srtcp_rejected},
    {&stats::kRtspSessionsTimedOut, "", "sessions_timed_out", &Counters::sessions_timed_out},
    {&stats::kRtspForeignSession, "", "foreign_session_requests",
     &Counters::foreign_session_requests},
    {&stats::kUdpLatched, "", "udp_destinations_latched", &Counters::udp_destinations_latched},
    {&stats::kUdpLatchAmbiguous, "", "udp_latch_ambiguous", &Counters::udp_latch_ambiguous},
}};

constexpr std::array<Field<FanoutStats>, 7> kFanoutCounters{{
    {&stats::kFanoutBatches, "", "batches", &FanoutStats::batches},
    {&stats::kFanoutSendCalls, "", "send_calls", &FanoutStats::send_calls},
    {&stats::kFanoutMessages, "", "messages", &FanoutStats::messages},
    {&stats::kFanoutGsoMessages, "", "gso_messages", &FanoutStats::gso_messages},
    {&stats::kFanoutDatagrams, "", "datagrams", &FanoutStats::datagrams},
    {&stats::kFanoutFailedMessages, "", "failed_messages", &FanoutStats::failed_messages},
    {&stats::kFanoutGsoFailures, "", "gso_failures", &FanoutStats::gso_failures},
}};

constexpr std::array<Field<RepairCounters>, 5> kRepairCounters{{
    {&stats::kRepairNacks, "", "nacks_received", &RepairCounters::nacks_received},
    {&stats::kRepairPackets, "", "packets_repaired", &RepairCounters::packets_repaired},
    {&stats::kRepairMisses, "", "misses", &RepairCounters::misses},
    {&stats::kRepairCapped, "", "capped", &RepairCounters::capped},
    {&stats::kRepairRepeats, "", "repeats", &RepairCounters::repeats},
}};

// PLIs and FIRs are counted per group, so a viewer that leaves takes none of them away.
constexpr std::array<Field<QosCounters>, 10> kQosCounters{{
    {&stats::kKeyframeRequestsReceived, "pli", "plis_received", &QosCounters::plis_received},
    {&stats::kKeyframeRequestsReceived, "fir", "firs_received", &QosCounters::firs_received},
    {&stats::kKeyframeRequestsReceived, "repair_miss", "repair_miss_requests",
     &QosCounters::repair_miss_requests},
    {&stats::kKeyframeRequestsReceived, "publisher_loss", "publisher_loss_requests",
     &QosCounters::publisher_loss_requests},
    {&stats::kKeyframeRequestsMerged, "", "keyframe_requests_merged",
     &QosCounters::keyframe_requests_merged},
    {&stats::kKeyframeRequestsForwarded, "", "keyframe_requests_forwarded",
     &QosCounters::keyframe_requests_forwarded},
    {&stats::kPublisherRequestsUnsent, "keyframe", "keyframe_requests_unsent",
     &QosCounters::keyframe_requests_unsent},
    {&stats::kBitrateRequests, "decrease", "bitrate_decreases", &QosCounters::bitrate_decreases},
    {&stats::kBitrateRequests, "increase", "bitrate_increases", &QosCounters::bitrate_increases},
    {&stats::kPublisherRequestsUnsent, "bitrate", "bitrate_requests_unsent",
     &QosCounters::bitrate_requests_unsent},
}};

constexpr std::array<Field<IngestLossCounters>, 3> kPublisherLossCounters{{
    {&stats::kPublisherNacksSent, "", "publisher_nacks_sent", &IngestLossCounters::nacks_sent},
    {&stats::kPublisherPacketsRecovered, "", "publisher_packets_recovered",
     &IngestLossCounters::recovered},
    {&stats::kPublisherPacketsLost, "", "publisher_packets_lost", &IngestLossCounters::given_up},
}};

}  // namespace

void StreamingServer::expose_metrics(stats::Exposition& out) const {
  // Every state and transport is listed, 0 included, so that a dashboard sees the series
  // before the first group.
  std::array<std::uint64_t, 3> groups{};  // waiting_for_master, live, stalled
  for (const core::Group* group : directory_.registry().groups()) {
    switch (group->state) {
      case core::GroupState::waiting_for_master:
        ++groups[0];
        break;
      case core::GroupState::live:
        ++groups[1];
        break;
      case core::GroupState::stalled:
        ++groups[2];
        break;
      case core::GroupState::closed:
        break;
    }
  }
  out.add(stats::kGroups, {core::to_string(core::GroupState::waiting_for_master)},
          static_cast<double>(groups[0]));
  out.add(stats::kGroups, {core::to_string(core::GroupState::live)},
          static_cast<double>(groups[1]));
  out.add(stats::kGroups, {core::to_string(core::GroupState::stalled)},
          static_cast<double>(groups[2]));

  // Every transport's series, 0 when it has no viewer, so that dashboards always see them.
  std::array<std::uint64_t, kViewerTransports.size()> viewers_by_transport{};
  std::uint64_t received_packets = metrics_.retired_received_packets();
  std::uint64_t received_bytes = metrics_.retired_received_bytes();
  std::uint64_t malformed_rtcp = metrics_.retired_malformed_rtcp();
  DeliveryTotals delivered = metrics_.retired();
  RepairCounters repair = metrics_.retired_repair();
  QosCounters qos = metrics_.retired_qos();
  IngestLossCounters publisher_loss = metrics_.retired_publisher_loss();
  std::uint64_t thinned_viewers = 0;
  for (const auto& [group, media] : directory_.all_media()) {
    for (const TrackRelay& track : media->tracks()) {
      received_packets += track.packets();
      received_bytes += track.bytes();
    }
    malformed_rtcp += media->malformed_rtcp();
    repair.add(media->repair_totals());
    qos.add(QosCounters::of(media->qos()));
    publisher_loss.add(media->publisher_loss());
    thinned_viewers += media->qos().thinned_viewers();
    for (const auto& [id, viewer] : media->viewers()) {
      const auto transport = std::ranges::find(kViewerTransports, transport_of(*viewer));
      ++viewers_by_transport[static_cast<std::size_t>(transport - kViewerTransports.begin())];
      delivered.add(*viewer->delivery);
    }
  }
  for (std::size_t i = 0; i < kViewerTransports.size(); ++i)
    out.add(stats::kViewers, {kViewerTransports[i]}, static_cast<double>(viewers_by_transport[i]));
  out.add(stats::kReceivedPackets, static_cast<double>(received_packets));
  out.add(stats::kReceivedBytes, static_cast<double>(received_bytes));
  out.add(stats::kSentPackets, static_cast<double>(delivered.packets_sent));
  out.add(stats::kSentBytes, static_cast<double>(delivered.bytes_sent));
  out.add(stats::kDroppedPackets, static_cast<double>(delivered.packets_dropped));

  stats::expose_fields<Counters>(out, kServerCounters, counters_);
  out.add(stats::kMalformedInput, {"rtcp"}, static_cast<double>(malformed_rtcp));

  if (fanout_) {
    stats::expose_fields<FanoutStats>(out, kFanoutCounters, fanout_->stats());
    out.add(stats::kFanoutBatchesDropped, static_cast<double>(fanout_->batches_dropped()));
    out.add(stats::kFanoutQueueDepth, static_cast<double>(fanout_->queue_depth()));
  }
  stats::expose_fields<RepairCounters>(out, kRepairCounters, repair);
  stats::expose_fields<QosCounters>(out, kQosCounters, qos);
  stats::expose_fields<IngestLossCounters>(out, kPublisherLossCounters, publisher_loss);
  out.add(stats::kThinnedViewers, static_cast<double>(thinned_viewers));
  out.add(stats::kEdgesPulling, static_cast<double>(edges_.pulling()));
  out.add(stats::kEdgeBytesPulled, static_cast<double>(edges_.bytes_pulled()));
  out.add(stats::kEdgeOriginsLost, static_cast<double>(edges_.origins_lost()));
  metrics_.expose(out);
}

}  // namespace callcast::media
