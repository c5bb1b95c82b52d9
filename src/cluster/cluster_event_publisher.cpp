#include "cluster/cluster_event_publisher.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <utility>

#include "cluster/cluster_event.hpp"
#include "cluster/cluster_keys.hpp"
#include "core/config.hpp"

namespace callcast::cluster {

ClusterEventPublisher::ClusterEventPublisher(core::HostPort server, std::string node_id,
                                             std::string epoch,
                                             ClusterEventPublisherOptions options)
    : node_id_(std::move(node_id)),
      epoch_(std::move(epoch)),
      capacity_(options.queue_capacity),
      redis_(std::move(server), options.redis) {
  assert(core::is_valid_node_id(node_id_));
  assert(capacity_ > 0);
  thread_ = std::thread([this] { run(); });
}

ClusterEventPublisher::~ClusterEventPublisher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool ClusterEventPublisher::post(const control::LoggedEvent& event) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    queue_.push_back(event);
  }
  wake_.notify_one();
  return true;
}

bool ClusterEventPublisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !sending_; });
}

void ClusterEventPublisher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    const control::LoggedEvent event = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();

    const std::string message = encode_cluster_event(ClusterEvent{node_id_, epoch_, event});
    // At most the client's connect plus command timeout: a Redis that is down costs each
    // queued event that long, and the queue's bound keeps the backlog finite meanwhile.
    auto sent = redis_.integer({"PUBLISH", keys::kEventsChannel, message});
    if (sent) {
      ++published_;
      if (outage_logged_) {
        outage_logged_ = false;
        spdlog::info("cluster: publishing events to {} again", redis_.server_name());
      }
    } else {
      ++failed_;
      if (!outage_logged_) {
        outage_logged_ = true;
        spdlog::warn("cluster: event seq={} of node {} not published: {}", event.seq, node_id_,
                     sent.error());
      }
    }

    lock.lock();
    sending_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  sending_ = false;
  queue_.clear();
  idle_.notify_all();
}

}  // namespace callcast::cluster
