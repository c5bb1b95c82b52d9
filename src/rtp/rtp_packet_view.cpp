#include "rtp/rtp_packet_view.hpp"

namespace callcast::rtp {

namespace {

constexpr std::uint8_t kVersion = 2;

// RFC 3550 §5.3.1: after the CSRC list, 16 bits defined by profile, 16 bits of length in
// 32-bit words (not counting these four bytes), then the extension words.
constexpr std::size_t kExtensionHeaderSize = 4;

}  // namespace

std::optional<RtpPacketView> RtpPacketView::parse(Bytes packet) {
  if (packet.size() < kFixedHeaderSize) return std::nullopt;
  const std::uint8_t first = packet[0];
  if ((first >> 6) != kVersion) return std::nullopt;

  std::size_t header_size = kFixedHeaderSize + 4 * std::size_t{first & 0x0fU};
  if (header_size > packet.size()) return std::nullopt;

  if ((first & 0x10) != 0) {
    if (packet.size() - header_size < kExtensionHeaderSize) return std::nullopt;
    const std::size_t extension_words = read_u16(&packet[header_size + 2]);
    header_size += kExtensionHeaderSize;
    if ((packet.size() - header_size) / 4 < extension_words) return std::nullopt;
    header_size += 4 * extension_words;
  }

  const std::size_t after_header = packet.size() - header_size;
  std::size_t padding_size = 0;
  if ((first & 0x20) != 0) {
    // The last octet counts the padding octets, itself included, so it is never 0, and the
    // padding can only eat into what follows the header.
    if (after_header == 0) return std::nullopt;
    padding_size = packet.back();
    if (padding_size == 0 || padding_size > after_header) return std::nullopt;
  }

  return RtpPacketView(packet, header_size, after_header - padding_size, padding_size);
}

}  // namespace callcast::rtp
