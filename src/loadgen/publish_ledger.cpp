#include "loadgen/publish_ledger.hpp"

#include <algorithm>

namespace callcast::loadgen {

std::uint64_t payload_fingerprint(std::uint8_t payload_type,
                                  std::span<const std::uint8_t> payload) {
  // FNV-1a over the fields, then a final avalanche (splitmix64's) so that the table spreads.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&hash](std::uint8_t byte) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  };
  mix(payload_type);
  const std::uint64_t size = payload.size();
  for (int shift = 0; shift < 32; shift += 8)
    mix(static_cast<std::uint8_t>(size >> shift));
  const std::size_t tail = std::min<std::size_t>(16, payload.size());
  for (std::size_t i = payload.size() - tail; i < payload.size(); ++i)
    mix(payload[i]);
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

PublishLedger::PublishLedger(const PacketizedClip& clip)
    : loop_size_(clip.packets.size()), sent_ns_(new std::atomic<std::int64_t>[kRingSize]) {
  for (std::size_t i = 0; i < kRingSize; ++i)
    sent_ns_[i].store(0, std::memory_order_relaxed);
  for (std::size_t position = 0; position < clip.packets.size(); ++position) {
    const ByteVector& rtp = clip.packets[position].rtp;
    const std::span<const std::uint8_t> payload(rtp.data() + 12, rtp.size() - 12);
    auto& list = positions_[payload_fingerprint(rtp[1] & 0x7f, payload)];
    list.push_back(static_cast<std::uint32_t>(position));
  }
  for (const auto& [fingerprint, list] : positions_) {
    if (list.size() > 1) ambiguous_ += list.size();
  }
}

void PublishLedger::record_sent(std::uint64_t index, std::int64_t sent_ns) {
  sent_ns_[index % kRingSize].store(sent_ns, std::memory_order_relaxed);
  published_.store(index + 1, std::memory_order_release);
}

std::int64_t PublishLedger::latest_index_at(std::uint32_t position, std::uint64_t published) const {
  if (published <= position) return -1;
  const std::uint64_t last = published - 1;
  const std::uint64_t loop = (last - position) / loop_size_;
  return static_cast<std::int64_t>(loop * loop_size_ + position);
}

std::optional<PublishLedger::Match> PublishLedger::match(std::uint8_t payload_type,
                                                         std::span<const std::uint8_t> payload,
                                                         std::int64_t last_on_track) const {
  const auto found = positions_.find(payload_fingerprint(payload_type, payload));
  if (found == positions_.end()) return std::nullopt;
  const std::uint64_t published = published_.load(std::memory_order_acquire);
  std::int64_t best = -1;
  if (found->second.size() == 1) {
    best = latest_index_at(found->second.front(), published);
  } else {
    std::int64_t latest = -1;
    std::int64_t next_after = -1;
    for (const std::uint32_t position : found->second) {
      const std::int64_t candidate = latest_index_at(position, published);
      if (candidate < 0) continue;
      latest = std::max(latest, candidate);
      if (last_on_track >= 0 && candidate > last_on_track &&
          (next_after < 0 || candidate < next_after)) {
        next_after = candidate;
      }
    }
    best = next_after >= 0 ? next_after : latest;
  }
  if (best < 0) return std::nullopt;
  if (published - static_cast<std::uint64_t>(best) > kRingSize) return std::nullopt;
  return Match{
      best, sent_ns_[static_cast<std::uint64_t>(best) % kRingSize].load(std::memory_order_relaxed)};
}

}  // namespace callcast::loadgen
