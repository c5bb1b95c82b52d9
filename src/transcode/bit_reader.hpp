#pragma once
// MSB-first bit reader over a byte span, as MPEG-4 Audio's syntax (ISO/IEC 14496-3 bslbf/uimsbf)
// needs: AudioSpecificConfig and StreamMuxConfig are bit fields with no byte alignment. Reading
// past the end never touches memory outside the span: it sets a sticky failure flag and returns 0,
// so a parser checks ok() once after a group of reads instead of before each one.
#include <cstddef>
#include <cstdint>

#include "rtp/byte_io.hpp"

namespace callcast::transcode {

class BitReader {
 public:
  explicit BitReader(rtp::Bytes data) : data_(data) {}

  // Up to 32 bits; 0 and !ok() when fewer remain.
  std::uint32_t read(unsigned bits) {
    if (bits > 32 || bits > remaining()) {
      failed_ = true;
      position_ = data_.size() * 8;
      return 0;
    }
    std::uint32_t value = 0;
    for (unsigned i = 0; i < bits; ++i) {
      const std::size_t byte = position_ / 8;
      const unsigned shift = 7 - static_cast<unsigned>(position_ % 8);
      value = (value << 1) | ((static_cast<unsigned>(data_[byte]) >> shift) & 1u);
      ++position_;
    }
    return value;
  }
  bool read_flag() { return read(1) != 0; }
  // The next `bits` without consuming them (0 when fewer remain; ok() unchanged).
  std::uint32_t peek(unsigned bits) const {
    BitReader copy = *this;
    const std::uint32_t value = copy.read(bits);
    return copy.ok() ? value : 0;
  }
  void skip(std::size_t bits) {
    if (bits > remaining()) {
      failed_ = true;
      position_ = data_.size() * 8;
      return;
    }
    position_ += bits;
  }

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return data_.size() * 8 - position_; }
  bool ok() const { return !failed_; }

 private:
  rtp::Bytes data_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

}  // namespace callcast::transcode
