#include "media/datagram_batcher.hpp"

#include <algorithm>
#include <array>
#include <cerrno>

namespace callcast::media {

namespace {

// How the kernel (or a device without checksum offload) says no to UDP_SEGMENT, as opposed to
// no to the destination.
bool gso_refused(int error) {
  return error == EIO || error == EINVAL || error == EOPNOTSUPP || error == ENOPROTOOPT;
}

}  // namespace

DatagramBatcher::DatagramBatcher(DatagramTransmitter& transmitter, std::atomic<bool>* gso,
                                 DatagramBatcherCapacity capacity)
    : transmitter_(transmitter), gso_(gso), capacity_(capacity) {
  // Messages point into to_, iov_ and controls_: none may reallocate while messages are queued.
  messages_.reserve(capacity_.messages);
  pending_.reserve(capacity_.messages);
  to_.reserve(capacity_.messages);
  controls_.resize(capacity_.messages);
  iov_.reserve(capacity_.datagrams);
  held_.reserve(capacity_.datagrams);
}

bool DatagramBatcher::extends_last(const UdpEndpoint& to, std::size_t size,
                                   const DeliveryCounters* owner) const {
  if (messages_.empty() || !gso() || iov_.size() == capacity_.datagrams) return false;
  const Pending& last = pending_.back();
  // GSO splits a message into datagrams of one size, the last one may be shorter: the message
  // grows while the datagram before had the full size and this one is not larger. The kernel
  // takes at most 64 segments (older kernels) and one 64 KiB datagram before the split.
  return last.own_iov && last.owner == owner && to_.back() == to &&
         last.datagrams < PacketBatch::kMaxSegments && size <= last.segment &&
         iov_.back().iov_len == last.segment && last.bytes + size <= PacketBatch::kMaxRunBytes;
}

void DatagramBatcher::enqueue(const UdpEndpoint& to, rtp::Bytes bytes, DeliveryCounters* owner) {
  if (extends_last(to, bytes.size(), owner)) {
    iov_.push_back({const_cast<std::uint8_t*>(bytes.data()), bytes.size()});
    ++messages_.back().msg_hdr.msg_iovlen;
    Pending& last = pending_.back();
    ++last.datagrams;
    last.bytes += static_cast<std::uint32_t>(bytes.size());
    return;
  }
  if (messages_.size() == capacity_.messages || iov_.size() == capacity_.datagrams) flush();
  iov_.push_back({const_cast<std::uint8_t*>(bytes.data()), bytes.size()});
  push_message(to, &iov_.back(), 1,
               {owner, 1, static_cast<std::uint32_t>(bytes.size()),
                static_cast<std::uint16_t>(bytes.size()), true});
}

void DatagramBatcher::enqueue(const UdpEndpoint& to, SharedPacket packet, DeliveryCounters* owner) {
  enqueue(to, packet->view(), owner);  // may flush first, never after queuing this one
  held_.push_back(std::move(packet));
}

void DatagramBatcher::enqueue_run(const UdpEndpoint& to, const PacketBatch& batch,
                                  const PacketRun& run, DeliveryCounters* owner) {
  auto* iov = const_cast<iovec*>(batch.iov().data() + run.first);
  if (run.count > 1 && !gso()) {
    // Laid out for GSO before the kernel refused it (another worker may have seen that): the
    // same datagrams as separate messages, rather than a refusal per viewer.
    for (std::size_t i = 0; i < run.count; ++i) {
      if (messages_.size() == capacity_.messages) flush();
      const auto size = static_cast<std::uint32_t>(iov[i].iov_len);
      push_message(to, &iov[i], 1, {owner, 1, size, 0, false});
    }
    return;
  }
  if (messages_.size() == capacity_.messages) flush();
  push_message(to, iov, run.count, {owner, run.count, run.bytes, run.segment_size, false});
  if (run.control_size != 0) {
    auto& header = messages_.back().msg_hdr;
    header.msg_control = const_cast<std::uint8_t*>(run.control.data());
    header.msg_controllen = run.control_size;
  }
}

void DatagramBatcher::push_message(const UdpEndpoint& to, iovec* iov, std::size_t count,
                                   const Pending& pending) {
  mmsghdr message{};
  message.msg_hdr.msg_name = to_.emplace_back(to).data();
  message.msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
  message.msg_hdr.msg_iov = iov;
  message.msg_hdr.msg_iovlen = count;
  messages_.push_back(message);
  pending_.push_back(pending);
}

void DatagramBatcher::write_gso_controls() {
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    const Pending& pending = pending_[i];
    if (!pending.own_iov || pending.datagrams < 2) continue;
    PacketRun& control = controls_[i];
    control.segment_size = pending.segment;
    write_segment_control(control);
    messages_[i].msg_hdr.msg_control = control.control.data();
    messages_[i].msg_hdr.msg_controllen = control.control_size;
  }
}

void DatagramBatcher::flush() {
  write_gso_controls();
  std::size_t done = 0;
  const std::size_t total = messages_.size();
  while (done < total) {
    ++stats_.send_calls;
    int error = 0;
    const int result =
        transmitter_.transmit(std::span<mmsghdr>(messages_.data() + done, total - done), error);
    const std::size_t taken = result > 0 ? static_cast<std::size_t>(result) : 0;
    for (std::size_t i = done; i < done + taken; ++i)
      sent(i);
    stats_.messages += taken;
    done += taken;
    if (taken > 0) continue;
    // The message at `done` failed: its viewer loses those datagrams, or (GSO refused) gets
    // them one by one; nobody else waits.
    if (messages_[done].msg_hdr.msg_controllen != 0 && gso_refused(error)) {
      ++stats_.gso_failures;
      if (gso_ != nullptr) gso_->store(false, std::memory_order_relaxed);
      send_singly(done);
    } else {
      ++stats_.failed_messages;
      dropped(pending_[done], pending_[done].datagrams);
    }
    ++done;
  }
  messages_.clear();
  pending_.clear();
  to_.clear();
  iov_.clear();
  held_.clear();
}

void DatagramBatcher::send_singly(std::size_t index) {
  const msghdr& header = messages_[index].msg_hdr;
  const Pending& pending = pending_[index];
  std::array<mmsghdr, PacketBatch::kMaxSegments> singles{};
  const std::size_t count = std::min<std::size_t>(header.msg_iovlen, singles.size());
  for (std::size_t i = 0; i < count; ++i) {
    auto& single = singles[i].msg_hdr;
    single.msg_name = header.msg_name;
    single.msg_namelen = header.msg_namelen;
    single.msg_iov = &header.msg_iov[i];
    single.msg_iovlen = 1;
  }
  std::size_t done = 0;
  std::uint64_t bytes = 0;
  while (done < count) {
    ++stats_.send_calls;
    int error = 0;
    const int result =
        transmitter_.transmit(std::span<mmsghdr>(singles.data() + done, count - done), error);
    if (result <= 0) break;
    for (std::size_t i = done; i < done + static_cast<std::size_t>(result); ++i)
      bytes += singles[i].msg_hdr.msg_iov[0].iov_len;
    done += static_cast<std::size_t>(result);
  }
  stats_.messages += done;
  stats_.datagrams += done;
  if (pending.owner != nullptr) pending.owner->sent(done, bytes);
  if (done < pending.datagrams) {
    ++stats_.failed_messages;
    dropped(pending, static_cast<std::uint32_t>(pending.datagrams - done));
  }
}

void DatagramBatcher::sent(std::size_t index) {
  const Pending& pending = pending_[index];
  stats_.datagrams += pending.datagrams;
  if (messages_[index].msg_hdr.msg_controllen != 0) ++stats_.gso_messages;
  if (pending.owner != nullptr) pending.owner->sent(pending.datagrams, pending.bytes);
}

void DatagramBatcher::dropped(const Pending& pending, std::uint32_t datagrams) {
  if (pending.owner != nullptr) pending.owner->dropped(datagrams);
}

}  // namespace callcast::media
