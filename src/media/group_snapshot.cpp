#include "media/group_snapshot.hpp"

#include "media/group_media.hpp"
#include "media/publisher_session.hpp"
#include "media/qos_counters.hpp"
#include "media/rtsp_connection.hpp"

namespace callcast::media {

namespace {

control::RepairStats repair_stats(const RepairCounters& counters) {
  return {counters.nacks_received, counters.packets_repaired, counters.misses, counters.capped,
          counters.repeats};
}

std::int64_t snapshot_ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::optional<double> fractional_ms(const std::optional<Clock::duration>& d) {
  if (!d) return std::nullopt;
  return std::chrono::duration<double, std::milli>(*d).count();
}

control::ViewerQosStats viewer_qos_stats(const Viewer& viewer) {
  const ViewerQos& qos = viewer.qos;
  control::ViewerQosStats out;
  out.plis = qos.plis;
  out.firs = qos.firs;
  out.thinned = qos.thinned;
  out.times_thinned = qos.times_thinned;
  for (const ViewerTrack& track : viewer.tracks)
    out.packets_thinned += track.thinning.packets_skipped();
  out.verdict = std::string(to_string(qos.health.verdict()));
  out.loss = qos.health.loss();
  out.residual_loss = qos.health.residual_loss();
  out.round_trip_ms = fractional_ms(qos.health.round_trip());
  out.queue_delay_ms = fractional_ms(qos.health.queue_delay());
  return out;
}

control::GroupQosStats group_qos_stats(const GroupQos& qos) {
  const QosCounters counters = QosCounters::of(qos);
  control::GroupQosStats out;
  out.plis_received = counters.plis_received;
  out.firs_received = counters.firs_received;
  out.repair_miss_requests = counters.repair_miss_requests;
  out.publisher_loss_requests = counters.publisher_loss_requests;
  out.keyframe_requests_merged = counters.keyframe_requests_merged;
  out.keyframe_requests_forwarded = counters.keyframe_requests_forwarded;
  out.keyframe_requests_unsent = counters.keyframe_requests_unsent;
  out.bitrate_requests = qos.bitrate_requests();
  out.bitrate_decreases = counters.bitrate_decreases;
  out.bitrate_increases = counters.bitrate_increases;
  out.bitrate_requests_unsent = counters.bitrate_requests_unsent;
  out.thinned_viewers = qos.thinned_viewers();
  out.target_bps = qos.rate_policy().target_bps();
  out.ceiling_bps = qos.rate_policy().ceiling_bps();
  return out;
}

std::string snapshot_endpoint_text(const UdpEndpoint& e) {
  return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + std::to_string(e.port())
                             : e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

control::GroupSnapshot make_group_snapshot(const core::Group& group, const GroupMedia* media,
                                           const PublisherSession* publisher_session,
                                           Clock::time_point now) {
  control::GroupSnapshot out;
  out.group = group.id;
  out.master = group.id;
  out.state = std::string(core::to_string(group.state));
  out.created_unix = group.created_unix;
  if (publisher_session != nullptr) {
    const PublisherSession& session = *publisher_session;
    control::PublisherStats publisher;
    publisher.terminal = session.terminal();
    publisher.transport = session.udp ? "udp" : "tcp";
    publisher.connected_s = std::chrono::duration<double>(now - session.started).count();
    if (auto connection = session.connection.lock()) {
      publisher.remote = connection->remote().address().to_string() + ":" +
                         std::to_string(connection->remote().port());
    } else if (session.phone || session.webrtc) {
      // A phone or a browser has no RTSP connection: where its first track's RTP comes from.
      publisher.transport = session.webrtc ? "webrtc" : "rtp";
      publisher.remote = snapshot_endpoint_text(session.udp_rtp_from[0]);
    }
    if (media != nullptr) {
      for (const auto& track : media->tracks())
        publisher.malformed_packets += track.malformed();
      publisher.rtcp_sender_reports = media->sender_reports();
      publisher.rtcp_receiver_reports_sent = media->receiver_reports_sent();
      publisher.stalled = media->stalled();
      if (publisher.stalled) publisher.stalled_for_ms = snapshot_ms(media->silent_for(now));
      publisher.stalls = media->stalls();
    }
    publisher.wrong_channel_packets = session.wrong_channel_packets;
    out.publisher = publisher;
  }
  if (media != nullptr) {
    out.repair = repair_stats(media->repair_totals());
    out.qos = group_qos_stats(media->qos());
    const IngestLossCounters loss = media->publisher_loss();
    out.qos.publisher_nacks_sent = loss.nacks_sent;
    out.qos.publisher_packets_recovered = loss.recovered;
    out.qos.publisher_packets_lost = loss.given_up;
    for (const auto& track : media->tracks()) {
      const auto& d = track.description();
      out.tracks.push_back(
          {static_cast<int>(d.index), d.media, std::string(to_string(d.codec)), d.clock_rate,
           track.packets(), track.bytes(), track.bitrate_bps(), track.malformed(),
           track.keyframes(), track.stale_packets(), track.held_packets(),
           std::chrono::duration<double, std::milli>(track.staleness().last_lag()).count()});
    }
  }
  for (const auto& [number, admitted] : group.viewers) {
    control::ViewerStats stats;
    stats.viewer = number;
    stats.state = admitted.playing ? "playing" : "admitted";
    if (media != nullptr) {
      for (const auto& [id, viewer] : media->viewers()) {
        if (viewer->number != number) continue;
        stats.state = viewer->state == ViewerState::playing  ? "playing"
                      : viewer->state == ViewerState::paused ? "paused"
                                                             : "set_up";
        stats.transport = std::string(transport_of(*viewer));
        stats.latched = !viewer->tcp;
        for (const auto& t : viewer->tracks) {
          if (t.set_up && stats.remote.empty()) {
            stats.remote = viewer->tcp ? "interleaved" : snapshot_endpoint_text(t.rtp);
            if (!viewer->tcp) stats.rtp_destination = stats.remote;
          }
          if (t.set_up && !(t.rtp_latched && t.rtcp_latched)) stats.latched = false;
          if (t.set_up && t.reception) {
            control::ReceptionStats r{t.reception->fraction_lost, t.reception->cumulative_lost,
                                      t.reception->jitter_ms,
                                      std::chrono::duration<double>(now - t.reception->at).count()};
            if (!stats.reception || r.fraction_lost > stats.reception->fraction_lost ||
                r.cumulative_lost > stats.reception->cumulative_lost) {
              stats.reception = r;
            }
          }
        }
        stats.packets_sent = viewer->delivery->packets_sent.load(std::memory_order_relaxed);
        stats.bytes_sent = viewer->delivery->bytes_sent.load(std::memory_order_relaxed);
        stats.packets_dropped = viewer->delivery->packets_dropped.load(std::memory_order_relaxed);
        stats.rtcp_reports = viewer->rtcp_reports;
        stats.repair = repair_stats(viewer->repair);
        stats.qos = viewer_qos_stats(*viewer);
      }
    }
    out.viewers.push_back(std::move(stats));
  }
  return out;
}

}  // namespace callcast::media
