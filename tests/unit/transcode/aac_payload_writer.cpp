#include "unit/transcode/aac_payload_writer.hpp"

#include <algorithm>

namespace callcast::transcode::test {

namespace {

void put_u16(ByteVector& out, std::size_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

}  // namespace

ByteVector hbr_payload(std::span<const ByteVector> units) {
  ByteVector out;
  put_u16(out, 16 * units.size());
  for (const auto& unit : units)
    put_u16(out, unit.size() << 3);  // index / delta 0
  for (const auto& unit : units)
    out.insert(out.end(), unit.begin(), unit.end());
  return out;
}

std::vector<ByteVector> hbr_fragments(const ByteVector& unit, std::size_t max_payload) {
  std::vector<ByteVector> fragments;
  const std::size_t room = max_payload - 4;
  for (std::size_t offset = 0; offset < unit.size(); offset += room) {
    ByteVector fragment;
    put_u16(fragment, 16);
    put_u16(fragment, unit.size() << 3);
    const std::size_t take = std::min(room, unit.size() - offset);
    fragment.insert(fragment.end(), unit.begin() + static_cast<std::ptrdiff_t>(offset),
                    unit.begin() + static_cast<std::ptrdiff_t>(offset + take));
    fragments.push_back(std::move(fragment));
  }
  return fragments;
}

ByteVector latm_payload(std::span<const ByteVector> units) {
  ByteVector out;
  for (const auto& unit : units) {
    std::size_t length = unit.size();
    for (; length >= 255; length -= 255)
      out.push_back(0xff);
    out.push_back(static_cast<std::uint8_t>(length));
    out.insert(out.end(), unit.begin(), unit.end());
  }
  return out;
}

ByteVector rtp_packet(std::uint8_t payload_type, std::uint16_t sequence_number,
                      std::uint32_t timestamp, bool marker, std::span<const std::uint8_t> payload,
                      std::uint32_t ssrc) {
  ByteVector out = {0x80, static_cast<std::uint8_t>((marker ? 0x80 : 0) | payload_type)};
  put_u16(out, sequence_number);
  put_u16(out, timestamp >> 16);
  put_u16(out, timestamp & 0xffff);
  put_u16(out, ssrc >> 16);
  put_u16(out, ssrc & 0xffff);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

AudioRtpPacket audio_packet(const ByteVector& payload, std::uint32_t timestamp,
                            std::uint16_t sequence_number, bool marker) {
  return {rtp::Bytes(payload.data(), payload.size()), timestamp, sequence_number, marker};
}

}  // namespace callcast::transcode::test
