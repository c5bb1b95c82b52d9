// Fuzzes the frame clock reader with arbitrary bytes as a luma plane of arbitrary small size.
// Invariants: it never reads outside width x height (ASan catches it: the plane is exactly as
// large as the input says), and whatever it reads back, stamping that value and reading again
// gives the same value.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "terminal/media/frame_clock.hpp"

using namespace callcast::terminal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  // Dimensions from the first bytes: up to 511x255 with a stride up to 15 bytes wider.
  const int width = ((data[0] << 1) | (data[1] & 1)) % 512;
  const int height = data[2];
  const int stride = width + (data[3] & 0x0F);
  data += 4;
  size -= 4;
  const std::size_t plane_size =
      static_cast<std::size_t>(stride) * static_cast<std::size_t>(height);
  // The plane is exactly plane_size bytes: the input repeated, so large frames come from short
  // inputs; a heap copy so any overread is caught.
  std::vector<std::uint8_t> plane(plane_size);
  for (std::size_t i = 0; i < plane_size && size > 0; ++i)
    plane[i] = data[i % size];
  const auto stamp = read_frame_clock(plane.data(), stride, width, height);
  if (stamp) {
    if (*stamp < 0) __builtin_trap();
    stamp_frame_clock(plane.data(), stride, width, height, *stamp);
    if (read_frame_clock(plane.data(), stride, width, height) != stamp) __builtin_trap();
  }
  return 0;
}
