#include "rtp/interleaved_frame.hpp"

#include <cassert>

namespace callcast::rtp {

namespace {

constexpr std::uint8_t kMagic = '$';
constexpr std::size_t kHeaderSize = 4;

}  // namespace

//  RFC 2326 §10.12:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   '$' (0x24)  |    channel    |            length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     length bytes of data ...                  |
// The TCP stream cuts frames anywhere, so a short buffer means "wait", never "bad".
InterleavedParse parse_interleaved_frame(Bytes buffer) {
  if (buffer.empty()) return NeedMoreData{1};
  if (buffer[0] != kMagic) return NotInterleaved{};
  if (buffer.size() < kHeaderSize) return NeedMoreData{kHeaderSize};
  const std::size_t length = read_u16(&buffer[2]);
  const std::size_t total = kHeaderSize + length;
  if (buffer.size() < total) return NeedMoreData{total};
  return InterleavedFrame{buffer[1], buffer.subspan(kHeaderSize, length), total};
}

void write_interleaved_header(std::uint8_t out[4], std::uint8_t channel, std::size_t size) {
  assert(size <= 0xffff && "an interleaved frame carries at most 65535 bytes");
  out[0] = kMagic;
  out[1] = channel;
  write_u16(out + 2, static_cast<std::uint16_t>(size));
}

}  // namespace callcast::rtp
