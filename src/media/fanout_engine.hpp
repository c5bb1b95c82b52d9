#pragma once
// The fan-out workers (step 709, DESIGN.md §7): `workers` threads, each with its own queue and
// its own share of every group's UDP viewers, so that one hot group uses every core. The media
// loop hands each worker the packet batches and the membership changes of its viewers by message
// passing (a single-producer single-consumer ring per worker): no lock on the packet path, and
// a slow worker never blocks the loop (a batch it has no room for is dropped and counted).
//
// With `workers` = 0 everything runs at once on the caller's thread (unit tests).
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/datagram_transmitter.hpp"
#include "media/fanout_shard.hpp"
#include "media/packet_batch.hpp"

namespace callcast::media {

struct FanoutOptions {
  std::size_t workers = 1;
  std::size_t queue_messages = 8192;  // per worker: about 30 s of a 2 Mbit/s stream's batches
  bool gso = true;                    // UDP GSO (UDP_SEGMENT) for runs of same-size packets
};

class FanoutEngine {
 public:
  FanoutEngine(FanoutOptions options, DatagramTransmitter& transmitter);
  ~FanoutEngine();
  FanoutEngine(const FanoutEngine&) = delete;
  FanoutEngine& operator=(const FanoutEngine&) = delete;

  // The number of shards viewers are spread over (1 in inline mode).
  std::size_t shards() const { return workers_.size(); }
  bool threaded() const { return threaded_; }
  // False once the kernel refused a GSO send: batches are then laid out packet by packet.
  bool gso() const { return gso_.load(std::memory_order_relaxed); }

  // Where datagrams go; thread-safe (the loop sends catching-up viewers' bursts through it).
  DatagramTransmitter& transmitter() { return transmitter_; }
  // A batcher for another thread's sends on the same socket (the media loop's), sharing the
  // workers' GSO switch: whoever sees the kernel refuse GSO turns it off for all.
  DatagramBatcher make_batcher(DatagramBatcherCapacity capacity = {}) {
    return DatagramBatcher(transmitter_, &gso_, capacity);
  }

  // The media loop's side; one thread only.
  std::uint64_t new_group() { return ++last_group_; }
  std::size_t next_shard() { return next_shard_++ % workers_.size(); }
  void add_viewer(std::uint64_t group, std::size_t shard, FanoutDestination destination);
  void remove_viewer(std::uint64_t group, std::size_t shard, std::uint64_t viewer);
  void remove_group(std::uint64_t group);
  void publish(std::uint64_t group, std::size_t shard,
               const std::shared_ptr<const PacketBatch>& batch);
  // Waits (bounded, 5 s) until every worker has handled everything queued so far.
  bool drain();

  FanoutStats stats() const;  // summed over the workers, as of their last batch
  std::uint64_t batches_dropped() const { return batches_dropped_.load(); }
  // Messages waiting in the workers' queues, summed (0 in inline mode).
  std::size_t queue_depth() const;

 private:
  struct Worker;
  bool post(Worker& worker, struct FanoutMessage& message, bool may_drop);

  DatagramTransmitter& transmitter_;
  FanoutOptions options_;
  bool threaded_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> gso_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> batches_dropped_{0};
  std::uint64_t last_group_ = 0;
  std::size_t next_shard_ = 0;
};

}  // namespace callcast::media
