#pragma once
// The frame clock: a wall-clock time (unix ms) written into a video frame's luma plane as black
// and white cells, and read back from the decoded frame at the viewer, so that glass-to-glass
// latency is measured on the pictures themselves (issue 4, "Measured").
//
// Layout, bottom-left corner of the frame, 16 cells per row, 4 rows (row 0 on top):
//
//   +----+----+----+----+-- ... --+----+
//   | m7 | m6 | .. | m0 | d47 ...  d40 |   m: 8-bit marker 0xB2 (fixed, rejects flat frames)
//   +----+----+----+----+-- ... --+----+   d: 48-bit unix ms, most significant bit first
//   |            d39 ... d24           |   c: CRC-8 (poly 0x07, init 0xFF) over marker + data
//   |            d23 ...  d8           |
//   |  d7 ...  d0     |  c7  ...   c0  |
//   +------------------------------------+
//
// A cell is 16x16 pixels (one H.264 macroblock), aligned to the macroblock grid, when the frame
// is at least 256x64; 8x8 when it is at least 128x32; smaller frames carry no clock. A set bit
// is luma 235 and a clear bit luma 16 (video range); the reader averages each cell's interior
// and thresholds at the midpoint, so encoder noise and ringing at cell edges do not flip bits.
#include <cstdint>
#include <optional>

namespace callcast::terminal {

// Writes `unix_ms` (0 <= unix_ms < 2^48) into the luma plane; does nothing on a frame too small
// to carry the clock. `stride` is the plane's bytes per row (>= width).
void stamp_frame_clock(std::uint8_t* luma, int stride, int width, int height, std::int64_t unix_ms);

// The time written by stamp_frame_clock, or nullopt when the frame carries no valid stamp (too
// small, marker or CRC wrong, or a cell too close to the threshold to trust). Reads only inside
// width x height with the given stride.
std::optional<std::int64_t> read_frame_clock(const std::uint8_t* luma, int stride, int width,
                                             int height);

}  // namespace callcast::terminal
