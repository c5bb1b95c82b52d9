// Fuzzes the LATM StreamMuxConfig parser and the RFC 6416 depacketizer. Input: one byte n, then
// n bytes of StreamMuxConfig (GStreamer's 40002320adca00 is used when they do not parse), then
// packet records as in aac_au_fuzz.cpp. Invariants: a parsed config describes one AAC stream we
// can decode; every unit is non-empty and within bounds; the counters add up.
#include <cstddef>
#include <cstdint>

#include "transcode/latm_depacketizer.hpp"

using namespace callcast::transcode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t config_size = data[0] < size - 1 ? data[0] : size - 1;
  auto config = StreamMuxConfig::parse(callcast::rtp::Bytes(data + 1, config_size));
  if (config) {
    if (config->sub_frames == 0 || config->sub_frames > 64) __builtin_trap();
    if (config->audio.channels == 0 || config->audio.channels > 8) __builtin_trap();
    if (config->audio.sample_rate == 0 || config->audio.bytes.empty()) __builtin_trap();
  } else {
    constexpr std::uint8_t kGStreamer[] = {0x40, 0x00, 0x23, 0x20, 0xad, 0xca, 0x00};
    config = StreamMuxConfig::parse(kGStreamer);
    if (!config) __builtin_trap();
  }
  auto made = LatmDepacketizer::create(*config, 1024);
  if (!made) return 0;
  auto& depacketizer = *made;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint64_t units = 0;
  std::size_t offset = 1 + config_size;
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
      volatile std::uint8_t touch = unit.data.front();
      touch = unit.data.back();
      (void)touch;
    }
    units += out->size();
  }
  if (depacketizer->counters().access_units != units) __builtin_trap();
  return 0;
}
