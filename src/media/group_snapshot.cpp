#include "media/group_snapshot.hpp"

#include "media/group_media.hpp"
#include "media/publisher_session.hpp"
#include "media/rtsp_connection.hpp"

namespace callcast::media {

namespace {

control::RepairStats repair_stats(const RepairCounters& counters) {
  return {counters.nacks_received, counters.packets_repaired, counters.misses, counters.capped};
}

std::int64_t milliseconds_of(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string endpoint_text(const UdpEndpoint& e) {
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
    }
    if (media != nullptr) {
      for (const auto& track : media->tracks())
        publisher.malformed_packets += track.malformed();
      publisher.rtcp_sender_reports = media->sender_reports();
      publisher.stalled = media->stalled();
      if (publisher.stalled) publisher.stalled_for_ms = milliseconds_of(media->silent_for(now));
      publisher.stalls = media->stalls();
    }
    publisher.wrong_channel_packets = session.wrong_channel_packets;
    out.publisher = publisher;
  }
  if (media != nullptr) {
    out.repair = repair_stats(media->repair_totals());
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
        stats.transport = viewer->tcp ? "tcp" : "udp";
        stats.latched = !viewer->tcp;
        for (const auto& t : viewer->tracks) {
          if (t.set_up && stats.remote.empty()) {
            stats.remote = viewer->tcp ? "interleaved" : endpoint_text(t.rtp);
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
      }
    }
    out.viewers.push_back(std::move(stats));
  }
  return out;
}

}  // namespace callcast::media
