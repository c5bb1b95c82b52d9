#pragma once
// A media node's side of the cluster's event bus (issue 15): its group events, as its EventLog
// numbers them, PUBLISHed as JSON on callcast:events with its node id. The media side's event
// loop only queues (post() never blocks on Redis); a thread of the publisher's own, with its
// own connection, sends them in order.
//
// Pub/sub delivers at most once: an event that cannot be sent (Redis down, the queue full) is
// dropped and counted, and the subscribers learn of it from the jump in seq, which makes them
// resync (ClusterEventSubscriber).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/redis_client.hpp"
#include "control/event_log.hpp"
#include "core/host_port.hpp"

namespace callcast::cluster {

struct ClusterEventPublisherOptions {
  RedisClientOptions redis;
  std::size_t queue_capacity = 4096;  // events waiting for Redis; beyond, new ones are dropped
};

class ClusterEventPublisher {
 public:
  // `node_id`: core::is_valid_node_id; `epoch`: the EventLog's.
  ClusterEventPublisher(core::HostPort server, std::string node_id, std::string epoch,
                        ClusterEventPublisherOptions options = {});
  // Stops promptly: events still queued are dropped (the node is going away; its groups' keys
  // expire and the subscribers resync on its next epoch).
  ~ClusterEventPublisher();
  ClusterEventPublisher(const ClusterEventPublisher&) = delete;
  ClusterEventPublisher& operator=(const ClusterEventPublisher&) = delete;

  // Queues the event; false (and counted in dropped()) when the queue is full.
  bool post(const control::LoggedEvent& event);
  // Waits up to `timeout` until every queued event was sent or given up; true if so.
  bool flush(std::chrono::milliseconds timeout);

  std::uint64_t published() const { return published_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }  // queue full
  std::uint64_t failed() const { return failed_.load(); }    // Redis refused or unreachable
  const std::string& node_id() const { return node_id_; }

 private:
  void run();

  std::string node_id_;
  std::string epoch_;
  std::size_t capacity_;
  RedisClient redis_;  // the publisher thread's only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<control::LoggedEvent> queue_;
  bool sending_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_{0};
  bool outage_logged_ = false;  // publisher thread only
  std::thread thread_;
};

}  // namespace callcast::cluster
