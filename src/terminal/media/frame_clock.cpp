#include "terminal/media/frame_clock.hpp"

#include <array>
#include <cstddef>

namespace callcast::terminal {

namespace {

constexpr int kColumns = 16;
constexpr int kRows = 4;
constexpr int kBits = kColumns * kRows;  // 8 marker + 48 data + 8 CRC
constexpr int kDataBits = 48;
constexpr std::uint8_t kMarker = 0xB2;
constexpr std::uint8_t kBlack = 16;
constexpr std::uint8_t kWhite = 235;
constexpr int kThreshold = (kBlack + kWhite) / 2;
// A cell whose mean lies within this distance of the threshold is not trusted: the frame is
// probably not stamped there (a picture edge, a gradient) rather than a stamp gone grey.
constexpr int kMinContrast = 40;

struct Geometry {
  int cell = 0;  // 0: too small
  int x0 = 0;
  int y0 = 0;
};

Geometry geometry_for(int stride, int width, int height) {
  if (width <= 0 || height <= 0 || stride < width) return {};
  for (const int cell : {16, 8}) {
    // The rows sit on the lowest full macroblock rows, so each cell is one whole macroblock.
    const int usable_height = height / cell * cell;
    if (width >= kColumns * cell && usable_height >= kRows * cell) {
      return {cell, 0, usable_height - kRows * cell};
    }
  }
  return {};
}

// CRC-8/ATM polynomial with a non-zero init, so all-zero bytes do not check.
std::uint8_t crc8(const std::uint8_t* bytes, int count) {
  std::uint8_t crc = 0xFF;
  for (int i = 0; i < count; ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x80) ? static_cast<std::uint8_t>((crc << 1) ^ 0x07)
                         : static_cast<std::uint8_t>(crc << 1);
    }
  }
  return crc;
}

// Marker byte then the 48-bit time, big-endian: what the CRC covers.
std::array<std::uint8_t, 7> checked_bytes(std::uint64_t unix_ms) {
  std::array<std::uint8_t, 7> bytes{};
  bytes[0] = kMarker;
  for (int i = 0; i < 6; ++i) {
    bytes[static_cast<std::size_t>(1 + i)] = static_cast<std::uint8_t>(unix_ms >> (8 * (5 - i)));
  }
  return bytes;
}

}  // namespace

void stamp_frame_clock(std::uint8_t* luma, int stride, int width, int height,
                       std::int64_t unix_ms) {
  const Geometry g = geometry_for(stride, width, height);
  if (g.cell == 0 || luma == nullptr || unix_ms < 0 || unix_ms >= (std::int64_t{1} << kDataBits)) {
    return;
  }
  const auto bytes = checked_bytes(static_cast<std::uint64_t>(unix_ms));
  const std::uint8_t crc = crc8(bytes.data(), static_cast<int>(bytes.size()));
  for (int index = 0; index < kBits; ++index) {
    const auto byte = static_cast<std::size_t>(index / 8);
    const std::uint8_t value = byte < 7 ? bytes[byte] : crc;
    const bool set = (value >> (7 - index % 8)) & 1;
    const int x = g.x0 + (index % kColumns) * g.cell;
    const int y = g.y0 + (index / kColumns) * g.cell;
    for (int row = 0; row < g.cell; ++row) {
      std::uint8_t* line = luma + static_cast<std::ptrdiff_t>(y + row) * stride + x;
      for (int col = 0; col < g.cell; ++col)
        line[col] = set ? kWhite : kBlack;
    }
  }
}

std::optional<std::int64_t> read_frame_clock(const std::uint8_t* luma, int stride, int width,
                                             int height) {
  const Geometry g = geometry_for(stride, width, height);
  if (g.cell == 0 || luma == nullptr) return std::nullopt;
  // The middle half of each cell: the encoder's ringing sits at the cell edges.
  const int margin = g.cell / 4;
  const int inner = g.cell - 2 * margin;
  std::array<std::uint8_t, 8> bytes{};
  for (int index = 0; index < kBits; ++index) {
    const int x = g.x0 + (index % kColumns) * g.cell + margin;
    const int y = g.y0 + (index / kColumns) * g.cell + margin;
    int sum = 0;
    for (int row = 0; row < inner; ++row) {
      const std::uint8_t* line = luma + static_cast<std::ptrdiff_t>(y + row) * stride + x;
      for (int col = 0; col < inner; ++col)
        sum += line[col];
    }
    const int mean = sum / (inner * inner);
    if (mean > kThreshold - kMinContrast && mean < kThreshold + kMinContrast) return std::nullopt;
    if (mean > kThreshold) {
      bytes[static_cast<std::size_t>(index / 8)] |= static_cast<std::uint8_t>(0x80 >> (index % 8));
    }
  }
  if (bytes[0] != kMarker || crc8(bytes.data(), 7) != bytes[7]) return std::nullopt;
  std::int64_t unix_ms = 0;
  for (std::size_t i = 1; i < 7; ++i)
    unix_ms = (unix_ms << 8) | bytes[i];
  return unix_ms;
}

}  // namespace callcast::terminal
