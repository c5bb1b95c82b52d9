#include "media/fanout_shard.hpp"

#include <algorithm>
#include <cstring>

#include "dtls/srtp_session.hpp"

namespace callcast::media {

namespace {

// Room for a few frames of protected copies before the worker hands them to the kernel.
constexpr std::size_t kScratchBytes = std::size_t{256} * 1024;

}  // namespace

void FanoutShard::add(FanoutDestination destination) {
  if (destination.srtp) {
    ++protected_viewers_;
    if (scratch_.empty()) scratch_.resize(kScratchBytes);
  }
  destinations_.push_back(std::move(destination));
}

void FanoutShard::remove(std::uint64_t viewer) {
  auto it = std::find_if(destinations_.begin(), destinations_.end(),
                         [viewer](const FanoutDestination& d) { return d.viewer == viewer; });
  if (it == destinations_.end()) return;
  if (it->srtp) --protected_viewers_;
  if (it != destinations_.end() - 1) *it = std::move(destinations_.back());
  destinations_.pop_back();
}

void FanoutShard::deliver(const PacketBatch& batch, DatagramBatcher& out) {
  const auto runs = batch.runs();
  for (const FanoutDestination& destination : destinations_) {
    if (destination.srtp) continue;
    for (const PacketRun& run : runs) {
      const UdpEndpoint& to = destination.rtp[run.track];
      if (to.port() == 0) continue;
      out.enqueue_run(to, batch, run, destination.counters.get());
    }
  }
  if (protected_viewers_ != 0) deliver_protected(batch, out);
  out.flush();
}

void FanoutShard::deliver_protected(const PacketBatch& batch, DatagramBatcher& out) {
  std::size_t used = 0;
  for (const FanoutDestination& destination : destinations_) {
    if (!destination.srtp) continue;
    for (const SharedPacket& packet : batch.packets()) {
      const UdpEndpoint& to = destination.rtp[packet->track];
      if (to.port() == 0) continue;
      const std::size_t size = packet->bytes.size();
      const std::size_t room = size + dtls::SrtpSession::kMaxTrailer;
      if (used + room > scratch_.size()) {
        out.flush();  // the queued copies leave: their bytes may be reused
        used = 0;
      }
      std::uint8_t* copy = scratch_.data() + used;
      std::memcpy(copy, packet->bytes.data(), size);
      auto sealed = destination.srtp->protect_rtp(std::span<std::uint8_t>(copy, room), size);
      if (!sealed) {
        destination.counters->dropped(1);
        continue;
      }
      out.enqueue(to, rtp::Bytes(copy, *sealed), destination.counters.get());
      used += room;
    }
  }
}

}  // namespace callcast::media
