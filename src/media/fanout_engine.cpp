#include "media/fanout_engine.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <unordered_map>

#include "media/spsc_ring.hpp"

namespace callcast::media {

struct FanoutMessage {
  enum class Kind : std::uint8_t { none, batch, add_viewer, remove_viewer, remove_group, barrier };
  Kind kind = Kind::none;
  std::uint64_t group = 0;
  std::shared_ptr<const PacketBatch> batch;
  FanoutDestination destination;  // add_viewer; destination.viewer alone for remove_viewer
  std::shared_ptr<std::atomic<std::size_t>> barrier;
};

struct FanoutEngine::Worker {
  Worker(std::size_t queue, DatagramTransmitter& transmitter, std::atomic<bool>& gso)
      // Workers send runs laid out in the batch (enqueue_run), and WebRTC viewers' protected
      // copies (issue 14) one datagram each.
      : ring(queue), out(transmitter, &gso, {.messages = 1024, .datagrams = 1024}) {}

  void handle(FanoutMessage& message) {
    switch (message.kind) {
      case FanoutMessage::Kind::batch: {
        auto it = shards.find(message.group);
        if (it == shards.end()) return;
        ++batches;
        it->second.deliver(*message.batch, out);
        publish_stats();
        return;
      }
      case FanoutMessage::Kind::add_viewer:
        shards[message.group].add(std::move(message.destination));
        return;
      case FanoutMessage::Kind::remove_viewer: {
        auto it = shards.find(message.group);
        if (it == shards.end()) return;
        it->second.remove(message.destination.viewer);
        if (it->second.empty()) shards.erase(it);
        return;
      }
      case FanoutMessage::Kind::remove_group:
        shards.erase(message.group);
        return;
      case FanoutMessage::Kind::barrier:
        message.barrier->fetch_sub(1, std::memory_order_acq_rel);
        message.barrier->notify_all();
        message.barrier.reset();
        return;
      case FanoutMessage::Kind::none:
        return;
    }
  }

  FanoutStats local_stats() const {
    FanoutStats stats;
    static_cast<DatagramStats&>(stats) = out.stats();
    stats.batches = batches;
    return stats;
  }

  void publish_stats() {
    const auto publish = [](std::atomic<std::uint64_t>& to, std::uint64_t value) {
      to.store(value, std::memory_order_relaxed);
    };
    const FanoutStats local = local_stats();
    publish(shared.batches, local.batches);
    publish(shared.send_calls, local.send_calls);
    publish(shared.messages, local.messages);
    publish(shared.gso_messages, local.gso_messages);
    publish(shared.datagrams, local.datagrams);
    publish(shared.failed_messages, local.failed_messages);
    publish(shared.gso_failures, local.gso_failures);
  }

  void run(std::atomic<bool>& stopping) {
    while (true) {
      const std::uint32_t seen = wake.load(std::memory_order_acquire);
      while (auto message = ring.try_pop())
        handle(*message);
      if (stopping.load(std::memory_order_acquire)) return;
      wake.wait(seen, std::memory_order_acquire);
    }
  }

  SpscRing<FanoutMessage> ring;
  std::atomic<std::uint32_t> wake{0};
  std::unordered_map<std::uint64_t, FanoutShard> shards;
  DatagramBatcher out;
  std::uint64_t batches = 0;
  struct {  // local_stats() as of the last batch, for stats() on another thread
    std::atomic<std::uint64_t> batches{0}, send_calls{0}, messages{0}, gso_messages{0},
        datagrams{0}, failed_messages{0}, gso_failures{0};
  } shared;
  std::thread thread;
};

FanoutEngine::FanoutEngine(FanoutOptions options, DatagramTransmitter& transmitter)
    : transmitter_(transmitter),
      options_(options),
      threaded_(options.workers > 0),
      gso_(options.gso) {
  const std::size_t count = threaded_ ? options.workers : 1;
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(threaded_ ? options.queue_messages : 2, transmitter_, gso_));
  }
  if (!threaded_) return;
  for (std::size_t i = 0; i < count; ++i) {
    Worker& worker = *workers_[i];
    worker.thread = std::thread([this, &worker] { worker.run(stopping_); });
    const std::string name = "fanout-" + std::to_string(i);
    pthread_setname_np(worker.thread.native_handle(), name.c_str());
  }
}

FanoutEngine::~FanoutEngine() {
  stopping_.store(true, std::memory_order_release);
  for (auto& worker : workers_) {
    worker->wake.fetch_add(1, std::memory_order_release);
    worker->wake.notify_one();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

bool FanoutEngine::post(Worker& worker, FanoutMessage& message, bool may_drop) {
  if (!threaded_) {
    worker.handle(message);
    return true;
  }
  bool pushed = worker.ring.try_push(message);
  if (!pushed && !may_drop) {
    // Membership changes must not be lost: wait for room, boundedly (a worker empties its queue
    // in well under a second unless it is stuck).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!pushed && std::chrono::steady_clock::now() < deadline) {
      worker.wake.fetch_add(1, std::memory_order_release);
      worker.wake.notify_one();
      std::this_thread::yield();
      pushed = worker.ring.try_push(message);
    }
    if (!pushed) spdlog::error("fan-out worker queue stays full: a membership change was lost");
  }
  if (!pushed) return false;
  worker.wake.fetch_add(1, std::memory_order_release);
  worker.wake.notify_one();
  return true;
}

void FanoutEngine::add_viewer(std::uint64_t group, std::size_t shard,
                              FanoutDestination destination) {
  FanoutMessage message;
  message.kind = FanoutMessage::Kind::add_viewer;
  message.group = group;
  message.destination = std::move(destination);
  post(*workers_[shard], message, false);
}

void FanoutEngine::remove_viewer(std::uint64_t group, std::size_t shard, std::uint64_t viewer) {
  FanoutMessage message;
  message.kind = FanoutMessage::Kind::remove_viewer;
  message.group = group;
  message.destination.viewer = viewer;
  post(*workers_[shard], message, false);
}

void FanoutEngine::remove_group(std::uint64_t group) {
  for (auto& worker : workers_) {
    FanoutMessage message;
    message.kind = FanoutMessage::Kind::remove_group;
    message.group = group;
    post(*worker, message, false);
  }
}

void FanoutEngine::publish(std::uint64_t group, std::size_t shard,
                           const std::shared_ptr<const PacketBatch>& batch) {
  FanoutMessage message;
  message.kind = FanoutMessage::Kind::batch;
  message.group = group;
  message.batch = batch;
  if (!post(*workers_[shard], message, true)) {
    batches_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool FanoutEngine::drain() {
  if (!threaded_) return true;
  // Shared with the messages: a worker may answer after this call gave up waiting.
  auto pending = std::make_shared<std::atomic<std::size_t>>(workers_.size());
  for (auto& worker : workers_) {
    FanoutMessage message;
    message.kind = FanoutMessage::Kind::barrier;
    message.barrier = pending;
    if (!post(*worker, message, false)) pending->fetch_sub(1);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pending->load(std::memory_order_acquire) != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

std::size_t FanoutEngine::queue_depth() const {
  std::size_t depth = 0;
  if (!threaded_) return depth;
  for (const auto& worker : workers_)
    depth += worker->ring.size();
  return depth;
}

FanoutStats FanoutEngine::stats() const {
  FanoutStats total;
  for (const auto& worker : workers_) {
    FanoutStats one;
    if (!threaded_) {
      one = worker->local_stats();
    } else {
      const auto& s = worker->shared;
      one.batches = s.batches.load();
      one.send_calls = s.send_calls.load();
      one.messages = s.messages.load();
      one.gso_messages = s.gso_messages.load();
      one.datagrams = s.datagrams.load();
      one.failed_messages = s.failed_messages.load();
      one.gso_failures = s.gso_failures.load();
    }
    total.batches += one.batches;
    total.send_calls += one.send_calls;
    total.messages += one.messages;
    total.gso_messages += one.gso_messages;
    total.datagrams += one.datagrams;
    total.failed_messages += one.failed_messages;
    total.gso_failures += one.gso_failures;
  }
  return total;
}

}  // namespace callcast::media
