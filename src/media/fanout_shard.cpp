#include "media/fanout_shard.hpp"

#include <algorithm>
#include <cerrno>

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

void FanoutShard::deliver(const PacketBatch& batch, DatagramTransmitter& transmitter,
                          FanoutScratch& scratch, FanoutStats& stats, bool& gso_failed) {
  ++stats.batches;
  const auto runs = batch.runs();
  const auto iov = batch.iov();
  scratch.messages.clear();
  scratch.owners.clear();
  for (std::size_t d = 0; d < destinations_.size(); ++d) {
    const FanoutDestination& destination = destinations_[d];
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const PacketRun& run = runs[r];
      const UdpEndpoint& to = destination.rtp[run.track];
      if (to.port() == 0) continue;
      mmsghdr message{};
      message.msg_hdr.msg_name = const_cast<sockaddr*>(to.data());
      message.msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
      message.msg_hdr.msg_iov = const_cast<iovec*>(&iov[run.first]);
      message.msg_hdr.msg_iovlen = run.count;
      if (run.control_size != 0) {
        message.msg_hdr.msg_control = const_cast<std::uint8_t*>(run.control.data());
        message.msg_hdr.msg_controllen = run.control_size;
      }
      scratch.messages.push_back(message);
      scratch.owners.emplace_back(static_cast<std::uint32_t>(d), static_cast<std::uint16_t>(r));
      if (scratch.messages.size() == FanoutScratch::kMaxMessages) {
        send(batch, transmitter, scratch, stats, gso_failed);
      }
    }
  }
  send(batch, transmitter, scratch, stats, gso_failed);
}

void FanoutShard::send(const PacketBatch& batch, DatagramTransmitter& transmitter,
                       FanoutScratch& scratch, FanoutStats& stats, bool& gso_failed) {
  const auto runs = batch.runs();
  std::size_t done = 0;
  const std::size_t total = scratch.messages.size();
  while (done < total) {
    ++stats.send_calls;
    int error = 0;
    const int sent = transmitter.transmit(
        std::span<mmsghdr>(scratch.messages.data() + done, total - done), error);
    const std::size_t taken = sent > 0 ? static_cast<std::size_t>(sent) : 0;
    for (std::size_t i = done; i < done + taken; ++i) {
      const auto [d, r] = scratch.owners[i];
      const PacketRun& run = runs[r];
      destinations_[d].counters->sent(run.count, run.bytes);
      stats.datagrams += run.count;
      if (run.count > 1) ++stats.gso_messages;
    }
    stats.messages += taken;
    done += taken;
    if (sent >= 0) continue;
    // The message at `done` failed: a full socket buffer (the viewer loses those packets and
    // is counted), or a device without GSO (sent again packet by packet).
    const auto [d, r] = scratch.owners[done];
    const PacketRun& run = runs[r];
    FanoutDestination& destination = destinations_[d];
    const bool gso_refused = run.count > 1 && (error == EIO || error == EINVAL ||
                                               error == EOPNOTSUPP || error == ENOPROTOOPT);
    if (gso_refused) {
      ++stats.gso_failures;
      gso_failed = true;
      if (send_run_singly(batch, run, destination.rtp[run.track], transmitter, stats)) {
        destination.counters->sent(run.count, run.bytes);
        ++done;
        continue;
      }
    }
    ++stats.failed_messages;
    destination.counters->dropped(run.count);
    ++done;
  }
  scratch.messages.clear();
  scratch.owners.clear();
}

bool FanoutShard::send_run_singly(const PacketBatch& batch, const PacketRun& run,
                                  const UdpEndpoint& to, DatagramTransmitter& transmitter,
                                  FanoutStats& stats) {
  std::array<mmsghdr, PacketBatch::kMaxSegments> messages{};
  const auto iov = batch.iov();
  for (std::size_t i = 0; i < run.count; ++i) {
    auto& header = messages[i].msg_hdr;
    header.msg_name = const_cast<sockaddr*>(to.data());
    header.msg_namelen = static_cast<socklen_t>(to.size());
    header.msg_iov = const_cast<iovec*>(&iov[run.first + i]);
    header.msg_iovlen = 1;
  }
  ++stats.send_calls;
  int error = 0;
  const int sent = transmitter.transmit(std::span<mmsghdr>(messages.data(), run.count), error);
  if (sent == static_cast<int>(run.count)) {
    stats.messages += run.count;
    stats.datagrams += run.count;
    return true;
  }
  return false;
}

}  // namespace callcast::media
