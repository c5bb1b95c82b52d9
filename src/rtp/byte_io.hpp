#pragma once
// Big-endian readers and writers over byte spans. Callers check lengths first.
#include <cstddef>
#include <cstdint>
#include <span>

namespace callcast::rtp {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

constexpr std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint32_t read_u24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}
constexpr std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
constexpr std::uint64_t read_u64(const std::uint8_t* p) {
  return (std::uint64_t{read_u32(p)} << 32) | read_u32(p + 4);
}
constexpr void write_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
constexpr void write_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
constexpr void write_u64(std::uint8_t* p, std::uint64_t v) {
  write_u32(p, static_cast<std::uint32_t>(v >> 32));
  write_u32(p + 4, static_cast<std::uint32_t>(v));
}

}  // namespace callcast::rtp
