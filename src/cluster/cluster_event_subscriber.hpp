#pragma once
// The signaling side of the cluster's event bus (issue 15): every media node's group events
// from the Redis channel callcast:events, decoded and handed to a listener, in place of
// HttpMediaControl's long-poll of one media node's GET /v1/events.
//
// Pub/sub keeps nothing for a reader that is away, so the listener is told when it may have
// missed events and must compare its calls with the media side's groups (a resync, as with the
// long-poll): when the subscription starts (first_contact) and after it was lost
// (events_missed); when a node's seq jumps (it could not publish some: events_missed) or its
// epoch changes (it restarted: media_restarted).
//
// Malformed messages (not JSON, a field missing or out of range) are dropped, counted and
// logged; they never reach the listener.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cluster/cluster_event.hpp"
#include "cluster/redis_subscriber.hpp"
#include "control/resync_cause.hpp"
#include "core/host_port.hpp"

namespace callcast::cluster {

struct ClusterEventSubscriberOptions {
  RedisSubscriberOptions subscriber;
  // Nodes whose last seq is remembered; a cluster has far fewer. Past it the memory starts
  // afresh (the next event of each node is taken as its first), so forged node ids cannot grow
  // it without bound.
  std::size_t max_tracked_nodes = 4096;
};

class ClusterEventSubscriber {
 public:
  // Both run on the subscriber's thread, must not throw and must not block for long.
  using EventHandler = std::function<void(const ClusterEvent&)>;
  // `node_id` is the node concerned, or empty when every node is (the subscription itself).
  using ResyncHandler = std::function<void(control::ResyncCause cause, std::string_view node_id)>;

  ClusterEventSubscriber(core::HostPort server, EventHandler on_event, ResyncHandler on_resync,
                         ClusterEventSubscriberOptions options = {});
  // Stops the subscription thread; no handler runs after it returns.
  ~ClusterEventSubscriber();
  ClusterEventSubscriber(const ClusterEventSubscriber&) = delete;
  ClusterEventSubscriber& operator=(const ClusterEventSubscriber&) = delete;

  bool subscribed() const { return subscriber_->subscribed(); }
  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t malformed() const { return malformed_.load(); }
  std::uint64_t unknown_kinds() const { return unknown_kinds_.load(); }
  std::uint64_t duplicates() const { return duplicates_.load(); }  // a node's seq not moving on
  std::uint64_t resyncs() const { return resyncs_.load(); }
  const RedisSubscriber& subscriber() const { return *subscriber_; }

 private:
  struct NodeFeed {
    std::string epoch;
    std::uint64_t seq = 0;
  };
  void on_message(std::string_view message);
  void on_subscribed(bool first);
  void resync(control::ResyncCause cause, std::string_view node_id);

  EventHandler on_event_;
  ResyncHandler on_resync_;
  ClusterEventSubscriberOptions options_;
  std::map<std::string, NodeFeed, std::less<>> feeds_;  // subscriber thread only
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> unknown_kinds_{0};
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::uint64_t> resyncs_{0};
  // Last: its thread calls the members above, so it starts after and stops before them.
  std::unique_ptr<RedisSubscriber> subscriber_;
};

}  // namespace callcast::cluster
