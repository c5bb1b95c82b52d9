#include "media/fanout_shard.hpp"

#include <algorithm>

namespace callcast::media {

void FanoutShard::add(FanoutDestination destination) {
  destinations_.push_back(std::move(destination));
}

void FanoutShard::remove(std::uint64_t viewer) {
  auto it = std::find_if(destinations_.begin(), destinations_.end(),
                         [viewer](const FanoutDestination& d) { return d.viewer == viewer; });
  if (it == destinations_.end()) return;
  if (it != destinations_.end() - 1) *it = std::move(destinations_.back());
  destinations_.pop_back();
}

void FanoutShard::deliver(const PacketBatch& batch, DatagramBatcher& out) {
  const auto runs = batch.runs();
  for (const FanoutDestination& destination : destinations_) {
    for (const PacketRun& run : runs) {
      const UdpEndpoint& to = destination.rtp[run.track];
      if (to.port() == 0) continue;
      out.enqueue_run(to, batch, run, destination.counters.get());
    }
  }
  out.flush();
}

}  // namespace callcast::media
