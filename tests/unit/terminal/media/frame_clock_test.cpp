#include "terminal/media/frame_clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace callcast::terminal {
namespace {

constexpr std::int64_t kSomeTime = 1'715'000'123'456;  // May 2024, in ms

// A luma plane with a gradient (so the frame is not flat) and `padding` extra bytes per row.
struct Plane {
  int width;
  int height;
  int stride;
  std::vector<std::uint8_t> bytes;

  Plane(int w, int h, int padding = 0) : width(w), height(h), stride(w + padding) {
    bytes.resize(static_cast<std::size_t>(stride) * static_cast<std::size_t>(height));
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x)
        at(x, y) = static_cast<std::uint8_t>((x + y) % 256);
    }
  }
  std::uint8_t& at(int x, int y) { return bytes[static_cast<std::size_t>(y * stride + x)]; }
  void stamp(std::int64_t ms) { stamp_frame_clock(bytes.data(), stride, width, height, ms); }
  std::optional<std::int64_t> read() const {
    return read_frame_clock(bytes.data(), stride, width, height);
  }
};

TEST(FrameClock, RoundTripsAtEveryUsualSize) {
  for (auto [w, h] : {std::pair{320, 240},
                      {640, 360},
                      {640, 480},
                      {1280, 720},
                      {1920, 1080},
                      {1918, 1078},
                      {256, 64},
                      {128, 32}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    Plane plane(w, h, 32);
    plane.stamp(kSomeTime);
    EXPECT_EQ(plane.read(), kSomeTime);
  }
}

TEST(FrameClock, RoundTripsExtremeValues) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, (std::int64_t{1} << 48) - 1}) {
    Plane plane(640, 360);
    plane.stamp(ms);
    EXPECT_EQ(plane.read(), ms);
  }
}

TEST(FrameClock, ValuesOutsideFortyEightBitsAreNotStamped) {
  Plane plane(640, 360);
  plane.stamp(std::int64_t{1} << 48);
  plane.stamp(-5);
  EXPECT_EQ(plane.read(), std::nullopt);
}

TEST(FrameClock, StampStaysInTheBottomLeftMacroblocks) {
  Plane plane(640, 360);
  const Plane before = plane;
  plane.stamp(kSomeTime);
  // 360 = 22 full macroblock rows + 8 lines: the stamp covers rows 18-21 (y 288-351), x 0-255.
  for (int y = 0; y < 360; ++y) {
    for (int x = 0; x < 640; ++x) {
      const bool inside = x < 256 && y >= 288 && y < 352;
      if (!inside) {
        ASSERT_EQ(plane.at(x, y), before.bytes[static_cast<std::size_t>(y * 640 + x)])
            << x << "," << y;
      }
    }
  }
  EXPECT_TRUE(plane.at(0, 288) == 16 || plane.at(0, 288) == 235);
}

TEST(FrameClock, SurvivesNoiseAndALumaShift) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> noise(-45, 45);
  for (auto [w, h] : {std::pair{320, 240}, {1280, 720}}) {
    Plane plane(w, h);
    plane.stamp(kSomeTime);
    for (auto& byte : plane.bytes) {
      byte = static_cast<std::uint8_t>(std::clamp(byte + noise(random) + 10, 0, 255));
    }
    EXPECT_EQ(plane.read(), kSomeTime) << w << "x" << h;
  }
}

TEST(FrameClock, BlurredCellEdgesStillRead) {
  Plane plane(640, 480);
  plane.stamp(kSomeTime);
  // A 3-tap horizontal blur: what a low-bitrate encoder does to sharp cell edges.
  Plane blurred = plane;
  for (int y = 0; y < 480; ++y) {
    for (int x = 1; x + 1 < 640; ++x) {
      blurred.at(x, y) = static_cast<std::uint8_t>(
          (plane.at(x - 1, y) + 2 * plane.at(x, y) + plane.at(x + 1, y)) / 4);
    }
  }
  EXPECT_EQ(blurred.read(), kSomeTime);
}

TEST(FrameClock, FlatFramesCarryNoStamp) {
  for (int value : {0, 16, 128, 235, 255}) {
    std::vector<std::uint8_t> flat(640 * 360, static_cast<std::uint8_t>(value));
    EXPECT_EQ(read_frame_clock(flat.data(), 640, 640, 360), std::nullopt) << value;
  }
}

TEST(FrameClock, RandomFramesCarryNoStamp) {
  std::mt19937 random(11);
  std::uniform_int_distribution<int> cell(0, 1);
  int accepted = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    // Clean black/white cells, so only the marker and CRC can reject them.
    std::vector<std::uint8_t> frame(320 * 240, 16);
    for (int cy = 0; cy < 15; ++cy) {
      for (int cx = 0; cx < 20; ++cx) {
        const std::uint8_t v = cell(random) ? 235 : 16;
        for (int y = 0; y < 16; ++y) {
          for (int x = 0; x < 16; ++x)
            frame[static_cast<std::size_t>((cy * 16 + y) * 320 + cx * 16 + x)] = v;
        }
      }
    }
    if (read_frame_clock(frame.data(), 320, 320, 240)) ++accepted;
  }
  // Marker and CRC together pass 1 in 65536 random patterns.
  EXPECT_EQ(accepted, 0);
}

TEST(FrameClock, OneFlippedCellIsRejected) {
  Plane plane(640, 360);
  plane.stamp(kSomeTime);
  // Flip the cell of data bit 20 (cell index 28: row 1, column 12).
  const int x0 = 12 * 16;
  const int y0 = 288 + 16;
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      plane.at(x0 + x, y0 + y) = static_cast<std::uint8_t>(251 - plane.at(x0 + x, y0 + y));
    }
  }
  EXPECT_EQ(plane.read(), std::nullopt);
}

TEST(FrameClock, GreyCellIsNotTrusted) {
  Plane plane(640, 360);
  plane.stamp(kSomeTime);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x)
      plane.at(32 + x, 288 + y) = 125;
  }
  EXPECT_EQ(plane.read(), std::nullopt);
}

TEST(FrameClock, TooSmallFramesGiveNothingAndAreLeftAlone) {
  for (auto [w, h] : {std::pair{127, 240}, {640, 31}, {0, 0}, {-5, 100}, {16, 16}}) {
    const int stride = std::max(w, 1);
    // Exactly the plane's size, so ASan flags any read or write outside it.
    std::vector<std::uint8_t> plane(static_cast<std::size_t>(stride * std::max(h, 0) + 1), 77);
    stamp_frame_clock(plane.data(), stride, w, h, kSomeTime);
    for (auto byte : plane)
      ASSERT_EQ(byte, 77);
    EXPECT_EQ(read_frame_clock(plane.data(), stride, w, h), std::nullopt);
  }
}

TEST(FrameClock, StrideNarrowerThanWidthIsRejected) {
  std::vector<std::uint8_t> plane(640 * 360, 16);
  stamp_frame_clock(plane.data(), 320, 640, 360, kSomeTime);
  EXPECT_EQ(read_frame_clock(plane.data(), 320, 640, 360), std::nullopt);
}

TEST(FrameClock, NullPlaneIsRejected) {
  stamp_frame_clock(nullptr, 640, 640, 360, kSomeTime);
  EXPECT_EQ(read_frame_clock(nullptr, 640, 640, 360), std::nullopt);
}

}  // namespace
}  // namespace callcast::terminal
