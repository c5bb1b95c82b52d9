// Fuzzes the benchmark's clip reader (src/loadgen/media_clip): the Annex B splitter, the
// access-unit grouping and the ADTS splitter. The first input byte chooses which; invariants:
// NAL units lie inside the input and carry no start code, access units keep every NAL unit but
// the delimiters, and ADTS frames never overrun the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "loadgen/media_clip.hpp"

using namespace callcast::loadgen;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> input(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    const auto nals = split_annex_b(input);
    std::size_t delimiters = 0;
    for (const auto& nal : nals) {
      if (nal.data() < input.data() || nal.data() + nal.size() > input.data() + input.size()) {
        __builtin_trap();
      }
      if (nal.size() >= 3 && nal[0] == 0 && nal[1] == 0 && nal[2] == 1) __builtin_trap();
      if (!nal.empty() && (nal[0] & 0x1f) == 9) ++delimiters;
    }
    const auto units = group_access_units(nals);
    std::size_t kept = 0;
    for (const auto& unit : units)
      kept += unit.nal_units.size();
    if (kept + delimiters != nals.size()) __builtin_trap();
  } else {
    MediaClip clip;
    const auto frames = split_adts(input, clip);
    if (frames) {
      std::size_t bytes = 0;
      for (const auto& frame : *frames)
        bytes += frame.size();
      if (bytes > input.size()) __builtin_trap();
    }
  }
  return 0;
}
