// Fuzzes the RFC 3640 AAC depacketizer with a stream of packets. Input: one byte choosing the AU
// header layout (AAC-hbr, AAC-lbr, none), then records of [flags, 16-bit length, payload]: flags
// bit 0 is the marker, bits 1-3 the sequence number step (0: duplicate, >1: loss), bit 4 a
// timestamp step. Invariants: every unit returned is non-empty, at most 8 KiB, at most 64 per
// packet, and the counters add up.
#include <cstddef>
#include <cstdint>

#include "transcode/aac_au_depacketizer.hpp"

using namespace callcast::transcode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr AuHeaderLayout kLayouts[] = {{13, 3, 3}, {6, 2, 2}, {0, 0, 0}};
  auto made = AacAuDepacketizer::create(kLayouts[data[0] % 3], 1024);
  if (!made) __builtin_trap();
  auto& depacketizer = *made;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint64_t units = 0;
  std::size_t offset = 1;
  while (offset + 3 <= size) {
    const std::uint8_t flags = data[offset];
    std::size_t length = (std::size_t{data[offset + 1]} << 8) | data[offset + 2];
    offset += 3;
    if (length > size - offset) length = size - offset;
    sequence = static_cast<std::uint16_t>(sequence + ((flags >> 1) & 7));
    if ((flags & 0x10) != 0) timestamp += 1024;
    const AudioRtpPacket packet{callcast::rtp::Bytes(data + offset, length), timestamp, sequence,
                                (flags & 1) != 0};
    offset += length;
    auto out = depacketizer->push(packet);
    if (!out) continue;
    if (out->size() > kMaxAccessUnitsPerPacket) __builtin_trap();
    for (const auto& unit : *out) {
      if (unit.data.empty() || unit.data.size() > kMaxAccessUnitBytes) __builtin_trap();
      volatile std::uint8_t touch = unit.data.front();  // ASan checks the view is live memory
      touch = unit.data.back();
      (void)touch;
    }
    units += out->size();
  }
  const auto& counters = depacketizer->counters();
  if (counters.access_units != units) __builtin_trap();
  if (counters.malformed + counters.late > counters.packets) __builtin_trap();
  return 0;
}
