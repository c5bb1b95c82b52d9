#include "cluster/cluster_event_subscriber.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>
#include <vector>

#include "cluster/cluster_keys.hpp"

namespace callcast::cluster {

ClusterEventSubscriber::ClusterEventSubscriber(core::HostPort server, EventHandler on_event,
                                               ResyncHandler on_resync,
                                               ClusterEventSubscriberOptions options)
    : on_event_(std::move(on_event)), on_resync_(std::move(on_resync)), options_(options) {
  subscriber_ = std::make_unique<RedisSubscriber>(
      std::move(server), std::vector<std::string>{std::string(keys::kEventsChannel)},
      [this](std::string_view, std::string_view message) { on_message(message); },
      [this](bool first) { on_subscribed(first); }, options_.subscriber);
}

ClusterEventSubscriber::~ClusterEventSubscriber() {
  subscriber_.reset();
}

void ClusterEventSubscriber::resync(control::ResyncCause cause, std::string_view node_id) {
  ++resyncs_;
  if (on_resync_) on_resync_(cause, node_id);
}

void ClusterEventSubscriber::on_subscribed(bool first) {
  if (!first) {
    spdlog::warn(
        "cluster: events on {} may have been missed while the subscription was down; "
        "resyncing",
        subscriber_->server_name());
  }
  // Whatever each node said before is stale now: take each one's next event as its first.
  feeds_.clear();
  resync(first ? control::ResyncCause::first_contact : control::ResyncCause::events_missed, "");
}

void ClusterEventSubscriber::on_message(std::string_view message) {
  auto decoded = decode_cluster_event(message);
  if (!decoded) {
    // Counted always; logged a few times, then sampled, so a broken publisher cannot flood logs.
    const std::uint64_t count = ++malformed_;
    if (count <= 10 || count % 1000 == 0) {
      spdlog::warn("cluster: malformed event #{} on {} dropped: {}", count, keys::kEventsChannel,
                   decoded.error());
    }
    return;
  }
  // A resync reads the media side's state as it is now, newer than this event: it runs after
  // the event is delivered, as HttpMediaControl does after a page of events.
  std::optional<control::ResyncCause> missed;
  const auto found = feeds_.find(decoded->node_id);
  if (found == feeds_.end()) {
    if (feeds_.size() >= options_.max_tracked_nodes) feeds_.clear();
    feeds_.emplace(decoded->node_id, NodeFeed{decoded->epoch, decoded->seq});
  } else {
    NodeFeed& feed = found->second;
    if (feed.epoch != decoded->epoch) {
      spdlog::warn("cluster: media node {} restarted (new event epoch); resyncing",
                   decoded->node_id);
      missed = control::ResyncCause::media_restarted;
    } else if (decoded->seq <= feed.seq) {
      // Pub/sub never repeats a message: an old seq is a replay or a confused publisher.
      ++duplicates_;
      return;
    } else if (decoded->seq > feed.seq + 1) {
      spdlog::warn("cluster: events seq={}..{} of media node {} missed; resyncing", feed.seq + 1,
                   decoded->seq - 1, decoded->node_id);
      missed = control::ResyncCause::events_missed;
    }
    feed = NodeFeed{decoded->epoch, decoded->seq};
  }
  if (decoded->event) {
    ++delivered_;
    on_event_(*decoded->event);
  } else {
    ++unknown_kinds_;
  }
  if (missed) resync(*missed, decoded->node_id);
}

}  // namespace callcast::cluster
