#pragma once
// The one way a UDP datagram leaves the server (step 709, DESIGN.md §7): RTP to viewers from the
// fan-out workers, catch-up bursts and RTCP from the media loop, and what comes next
// (retransmissions, SIP and WebRTC viewers). Callers enqueue datagrams, each for a destination
// and an owner (the DeliveryCounters of the viewer it is for), then flush(): one kernel call
// carries up to `max_messages` messages, and consecutive datagrams for the same destination and
// owner share one message with UDP GSO (UDP_SEGMENT) while the kernel takes it.
//
// Policies, the same for every caller:
// - A message the kernel refuses (socket buffer full, unreachable, bad address) is counted as
//   dropped for its owner and skipped; the rest of the batch goes on.
// - A GSO message the kernel or device refuses is sent again packet by packet, and GSO is turned
//   off on the shared switch: every batcher over that socket stops building GSO messages.
//
// Hot path: nothing is allocated per datagram (the arrays are reserved at construction), and a
// datagram is never copied: messages point at the caller's bytes. One thread per batcher.
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/datagram_transmitter.hpp"
#include "media/delivery.hpp"
#include "media/delivery_counters.hpp"
#include "media/packet_batch.hpp"
#include "media/relay_packet.hpp"

namespace callcast::media {

struct DatagramStats {
  std::uint64_t send_calls = 0;    // kernel calls (DatagramTransmitter::transmit)
  std::uint64_t messages = 0;      // messages the kernel took
  std::uint64_t gso_messages = 0;  // ...of which carried several datagrams
  std::uint64_t datagrams = 0;     // datagrams sent (a GSO message counts its segments)
  std::uint64_t failed_messages = 0;
  std::uint64_t gso_failures = 0;  // GSO refused by the kernel or device: resent one by one
};

struct DatagramBatcherCapacity {
  std::size_t messages = 1024;   // per kernel call; UIO_MAXIOV is the kernel's limit
  std::size_t datagrams = 4096;  // queued through enqueue() (enqueue_run() points at the batch)
};

class DatagramBatcher {
 public:
  // `gso`: the switch shared by every batcher over the same socket (nullptr: never GSO, e.g.
  // RTCP, whose compound packets have no common size). Both outlive the batcher.
  DatagramBatcher(DatagramTransmitter& transmitter, std::atomic<bool>* gso,
                  DatagramBatcherCapacity capacity = {});
  DatagramBatcher(const DatagramBatcher&) = delete;
  DatagramBatcher& operator=(const DatagramBatcher&) = delete;

  // One datagram for `to` (copied), counted to `owner` (may be null: not counted per viewer).
  // `bytes` and `owner` must stay valid until flush(); the SharedPacket form keeps the packet
  // alive itself.
  void enqueue(const UdpEndpoint& to, rtp::Bytes bytes, DeliveryCounters* owner);
  void enqueue(const UdpEndpoint& to, SharedPacket packet, DeliveryCounters* owner);
  // A run already laid out by PacketBatch::seal() (shared by every viewer): one message pointing
  // at the batch's iovecs and control. `batch` must stay alive until flush().
  void enqueue_run(const UdpEndpoint& to, const PacketBatch& batch, const PacketRun& run,
                   DeliveryCounters* owner);

  // Hands everything queued to the kernel and does the accounting; never blocks.
  void flush();
  bool empty() const { return messages_.empty(); }

  bool gso() const { return gso_ != nullptr && gso_->load(std::memory_order_relaxed); }
  const DatagramStats& stats() const { return stats_; }

 private:
  // What a message carries, for the owner's counters and the GSO fallback.
  struct Pending {
    DeliveryCounters* owner = nullptr;
    std::uint32_t datagrams = 0;
    std::uint32_t bytes = 0;
    std::uint16_t segment = 0;  // the size every datagram but the last has
    bool own_iov = false;       // points into iov_ (so it may still grow), not into a batch
  };

  void push_message(const UdpEndpoint& to, iovec* iov, std::size_t count, const Pending& pending);
  bool extends_last(const UdpEndpoint& to, std::size_t size, const DeliveryCounters* owner) const;
  void write_gso_controls();
  // The message at `index` was refused as a GSO send: its datagrams one by one.
  void send_singly(std::size_t index);
  void sent(std::size_t index);
  void dropped(const Pending& pending, std::uint32_t datagrams);

  DatagramTransmitter& transmitter_;
  std::atomic<bool>* gso_;
  DatagramBatcherCapacity capacity_;
  std::vector<mmsghdr> messages_;
  std::vector<Pending> pending_;     // per message
  std::vector<UdpEndpoint> to_;      // per message: where msg_name points
  std::vector<PacketRun> controls_;  // per message: the UDP_SEGMENT control of a GSO message
  std::vector<iovec> iov_;           // enqueue()'s datagrams; never reallocated while queued
  std::vector<SharedPacket> held_;   // alive until sent
  DatagramStats stats_;
};

}  // namespace callcast::media
