// Fuzzes the RTX packet (RFC 4588) both ways. Any valid RTP packet must survive
// original -> RTX -> original, less its padding; any input the rebuilder accepts as RTX must be
// written back to the same bytes, less its padding.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "rtp/rtp_packet_view.hpp"
#include "rtp/rtx_packet.hpp"

using namespace callcast::rtp;

namespace {

constexpr std::size_t kMaxPacket = 1 << 17;

// Bytes of `packet` without its padding and with the P bit cleared: what RTX carries of it.
bool equals_unpadded(const RtpPacketView& packet, Bytes other) {
  const Bytes bytes = packet.bytes();
  const std::size_t size = bytes.size() - packet.padding_size();
  if (other.size() != size || other[0] != (bytes[0] & 0xdf)) return false;
  return std::equal(bytes.begin() + 1, bytes.begin() + static_cast<std::ptrdiff_t>(size),
                    other.begin() + 1);
}

void check_original(Bytes input) {
  const auto original = RtpPacketView::parse(input);
  static std::array<std::uint8_t, kMaxPacket> rtx;
  const std::size_t size = write_rtx_packet(rtx, input, 97, 0x05060708, 0xfffe);
  if (!original) {
    if (size != 0) __builtin_trap();
    return;
  }
  if (size != rtx_packet_size(*original)) __builtin_trap();
  const auto view = RtpPacketView::parse(Bytes(rtx.data(), size));
  if (!view || view->payload_type() != 97 || view->ssrc() != 0x05060708 ||
      view->sequence_number() != 0xfffe || view->marker() != original->marker() ||
      view->timestamp() != original->timestamp() || view->padding_size() != 0) {
    __builtin_trap();
  }
  static std::array<std::uint8_t, kMaxPacket> rebuilt;
  const auto again = parse_rtx_packet(Bytes(rtx.data(), size), original->payload_type(),
                                      original->ssrc(), rebuilt);
  if (!again || !equals_unpadded(*original, again->bytes())) __builtin_trap();
  if (write_rtx_packet(MutableBytes(rtx.data(), size - 1), input, 97, 1, 1) != 0) {
    __builtin_trap();
  }
}

void check_rtx(Bytes input) {
  static std::array<std::uint8_t, kMaxPacket> rebuilt;
  const auto original = parse_rtx_packet(input, 96, 0x01020304, rebuilt);
  if (!original) return;
  const auto rtx = RtpPacketView::parse(input);
  if (!rtx || rtx->payload().size() < 2) __builtin_trap();
  if (original->bytes().size() != rtx->header_size() + rtx->payload().size() - 2 ||
      original->payload_type() != 96 || original->ssrc() != 0x01020304 ||
      original->sequence_number() != read_u16(rtx->payload().data())) {
    __builtin_trap();
  }
  static std::array<std::uint8_t, kMaxPacket> written;
  const std::size_t size = write_rtx_packet(written, original->bytes(), rtx->payload_type(),
                                            rtx->ssrc(), rtx->sequence_number());
  if (size == 0 || !equals_unpadded(*rtx, Bytes(written.data(), size))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxPacket - 2) return 0;
  check_original(Bytes(data, size));
  check_rtx(Bytes(data, size));
  return 0;
}
