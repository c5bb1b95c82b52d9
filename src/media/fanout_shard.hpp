#pragma once
// One fan-out worker's share of one group's viewers, and the send of a packet batch to all of
// them: one sendmmsg message per viewer and run (UDP GSO: a whole frame's packets in one
// message), up to 1024 messages per call, every message pointing at the same shared bytes
// (step 709, DESIGN.md §7). Runs on the worker's thread only.
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "media/datagram_transmitter.hpp"
#include "media/delivery.hpp"
#include "media/delivery_counters.hpp"
#include "media/packet_batch.hpp"

namespace callcast::media {

// A UDP viewer as a worker sees it: where each track goes and where to count.
struct FanoutDestination {
  std::uint64_t viewer = 0;
  std::array<UdpEndpoint, kMaxTracks> rtp{};  // port 0: the viewer did not set that track up
  std::shared_ptr<DeliveryCounters> counters;
};

struct FanoutStats {
  std::uint64_t batches = 0;
  std::uint64_t send_calls = 0;    // sendmmsg calls
  std::uint64_t messages = 0;      // messages the kernel took
  std::uint64_t gso_messages = 0;  // ...of which carried several packets
  std::uint64_t datagrams = 0;     // packets delivered (a GSO message counts its segments)
  std::uint64_t failed_messages = 0;
  std::uint64_t gso_failures = 0;  // GSO refused by the kernel or device: resent one by one
};

// Reused by a worker for every batch, so that steady-state sending allocates nothing.
struct FanoutScratch {
  static constexpr std::size_t kMaxMessages = 1024;  // UIO_MAXIOV, sendmmsg's vlen limit
  FanoutScratch() {
    messages.reserve(kMaxMessages);
    owners.reserve(kMaxMessages);
  }
  std::vector<mmsghdr> messages;
  std::vector<std::pair<std::uint32_t, std::uint16_t>> owners;  // destination, run
};

class FanoutShard {
 public:
  void add(FanoutDestination destination);
  void remove(std::uint64_t viewer);
  bool empty() const { return destinations_.empty(); }
  std::size_t size() const { return destinations_.size(); }

  // Sends `batch` to every destination. Sets `gso_failed` when the kernel refused a GSO send
  // (those packets were then sent one by one): the caller stops building GSO runs.
  void deliver(const PacketBatch& batch, DatagramTransmitter& transmitter, FanoutScratch& scratch,
               FanoutStats& stats, bool& gso_failed);

 private:
  void send(const PacketBatch& batch, DatagramTransmitter& transmitter, FanoutScratch& scratch,
            FanoutStats& stats, bool& gso_failed);
  bool send_run_singly(const PacketBatch& batch, const PacketRun& run, const UdpEndpoint& to,
                       DatagramTransmitter& transmitter, FanoutStats& stats);

  std::vector<FanoutDestination> destinations_;
};

}  // namespace callcast::media
