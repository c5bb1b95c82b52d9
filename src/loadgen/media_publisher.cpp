#include "loadgen/media_publisher.hpp"

#include <time.h>

#include <algorithm>
#include <array>

namespace callcast::loadgen {

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

MediaPublisher::MediaPublisher(const PacketizedClip& clip, PublishLedger& ledger,
                               std::unique_ptr<PublishSink> sink)
    : clip_(clip), ledger_(ledger), sink_(std::move(sink)) {}

MediaPublisher::~MediaPublisher() {
  stop();
}

void MediaPublisher::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void MediaPublisher::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void MediaPublisher::run() {
  constexpr std::int64_t kMaxSleepNs = 20'000'000;  // re-check `stopping_` this often
  constexpr std::int64_t kLateNs = 50'000'000;
  constexpr int kMaxBurst = 512;  // packets per flush at most
  std::array<std::uint8_t, 2048> buffer{};
  const std::int64_t start = monotonic_ns();
  std::uint64_t index = 0;
  while (!stopping_.load(std::memory_order_relaxed)) {
    std::int64_t now = monotonic_ns();
    const std::int64_t due = start + clip_.send_offset_ns(index);
    if (due > now) {
      const std::int64_t until = std::min(due, now + kMaxSleepNs);
      const timespec wake{static_cast<time_t>(until / 1'000'000'000),
                          static_cast<long>(until % 1'000'000'000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nullptr);
      continue;
    }
    for (int burst = 0; burst < kMaxBurst && start + clip_.send_offset_ns(index) <= now; ++burst) {
      if (now - (start + clip_.send_offset_ns(index)) > kLateNs) {
        late_.fetch_add(1, std::memory_order_relaxed);
      }
      const std::size_t size = clip_.write(index, buffer);
      ledger_.record_sent(index, now);
      sink_->send(clip_.at(index).kind, std::span(buffer.data(), size));
      ++index;
    }
    sink_->flush();
    send_errors_.store(sink_->errors(), std::memory_order_relaxed);
  }
}

}  // namespace callcast::loadgen
