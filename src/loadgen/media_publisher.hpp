#pragma once
// The master of a benchmark run: replays the packetized clip in real time, forever (looping with
// continuous sequence numbers and timestamps), on its own thread, into a PublishSink. Each
// packet's index and send time go into the PublishLedger just before it leaves. No encoding and
// no allocation per packet: a packet is copied from the clip into one buffer and stamped.
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "loadgen/media_packetizer.hpp"
#include "loadgen/publish_ledger.hpp"
#include "loadgen/publish_sink.hpp"

namespace callcast::loadgen {

// CLOCK_MONOTONIC in ns: the one clock of publisher and viewers (same machine).
std::int64_t monotonic_ns();

class MediaPublisher {
 public:
  MediaPublisher(const PacketizedClip& clip, PublishLedger& ledger,
                 std::unique_ptr<PublishSink> sink);
  ~MediaPublisher();  // stops
  MediaPublisher(const MediaPublisher&) = delete;
  MediaPublisher& operator=(const MediaPublisher&) = delete;

  void start();
  void stop();
  std::uint64_t send_errors() const { return send_errors_.load(std::memory_order_relaxed); }
  // Packets that left later than 50 ms after they were due (the bench's CPU was short).
  std::uint64_t late_packets() const { return late_.load(std::memory_order_relaxed); }

 private:
  void run();

  const PacketizedClip& clip_;
  PublishLedger& ledger_;
  std::unique_ptr<PublishSink> sink_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> send_errors_{0};
  std::atomic<std::uint64_t> late_{0};
  std::thread thread_;
};

}  // namespace callcast::loadgen
