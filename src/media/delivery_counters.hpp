#pragma once
// What was delivered to one viewer. Written by whichever thread sends to it (the media loop while
// the viewer catches up from the GOP cache, then its fan-out worker; the loop also adds the
// retransmissions it sends, module 608) and read by the admin API: relaxed atomic adds, so no lock
// and, retransmissions being rare, next to no contention.
#include <atomic>
#include <cstdint>

namespace callcast::media {

struct DeliveryCounters {
  std::atomic<std::uint64_t> packets_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> packets_dropped{0};

  void sent(std::uint64_t packets, std::uint64_t bytes) {
    packets_sent.fetch_add(packets, std::memory_order_relaxed);
    bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  }
  void dropped(std::uint64_t packets) {
    packets_dropped.fetch_add(packets, std::memory_order_relaxed);
  }
};

}  // namespace callcast::media
