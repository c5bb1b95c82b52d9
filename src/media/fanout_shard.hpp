#pragma once
// One fan-out worker's share of one group's viewers, and the send of a packet batch to all of
// them: one message per viewer and run (UDP GSO: a whole frame's packets in one message), every
// message pointing at the same shared bytes, batched by the worker's DatagramBatcher (step 709,
// DESIGN.md §7). Runs on the worker's thread only.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/delivery.hpp"
#include "media/delivery_counters.hpp"
#include "media/packet_batch.hpp"

namespace callcast::dtls {
class SrtpSession;
}

namespace callcast::media {

// A UDP viewer as a worker sees it: where each track goes and where to count.
struct FanoutDestination {
  std::uint64_t viewer = 0;
  std::array<UdpEndpoint, kMaxTracks> rtp{};  // port 0: the viewer did not set that track up
  std::shared_ptr<DeliveryCounters> counters;
  // A WebRTC viewer (issue 14): every packet leaves SRTP-protected with its own keys, so it gets
  // a copy of the shared bytes (the one per-viewer cost of encryption), not the shared run.
  std::shared_ptr<dtls::SrtpSession> srtp;
};

// What the workers sent, summed (DatagramBatcher's counters) and the batches they handled.
struct FanoutStats : DatagramStats {
  std::uint64_t batches = 0;
};

class FanoutShard {
 public:
  void add(FanoutDestination destination);
  void remove(std::uint64_t viewer);
  bool empty() const { return destinations_.empty(); }
  std::size_t size() const { return destinations_.size(); }

  // Sends `batch` to every destination through `out`, flushed before returning (a viewer that
  // fails is counted by `out` and skipped).
  void deliver(const PacketBatch& batch, DatagramBatcher& out);

 private:
  // The WebRTC viewers' share of deliver(): each packet copied into `scratch_` and protected.
  void deliver_protected(const PacketBatch& batch, DatagramBatcher& out);

  std::vector<FanoutDestination> destinations_;
  std::size_t protected_viewers_ = 0;
  // Where protected copies wait for the kernel call: reused once flushed, so a worker
  // allocates nothing per packet for its WebRTC viewers either.
  std::vector<std::uint8_t> scratch_;
};

}  // namespace callcast::media
