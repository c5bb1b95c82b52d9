#include "rtp/rtx_packet.hpp"

#include <algorithm>

namespace callcast::rtp {

namespace {

constexpr std::size_t kOsnSize = 2;
constexpr std::uint8_t kPaddingBit = 0x20;
constexpr std::uint8_t kMarkerBit = 0x80;
constexpr std::uint8_t kMaxPayloadType = 0x7f;

// Copies the header of `packet` to `out` with the P bit cleared (what follows it carries no
// padding) and the payload type, sequence number and SSRC replaced; the marker bit is kept.
void copy_header(const RtpPacketView& packet, std::uint8_t* out, std::uint8_t payload_type,
                 std::uint32_t ssrc, std::uint16_t sequence) {
  const Bytes header = packet.bytes().first(packet.header_size());
  std::copy(header.begin(), header.end(), out);
  out[0] = static_cast<std::uint8_t>(out[0] & ~kPaddingBit);
  out[1] = static_cast<std::uint8_t>((out[1] & kMarkerBit) | payload_type);
  write_u16(out + 2, sequence);
  write_u32(out + 8, ssrc);
}

}  // namespace

std::size_t write_rtx_packet(MutableBytes out, Bytes original, std::uint8_t rtx_payload_type,
                             std::uint32_t rtx_ssrc, std::uint16_t rtx_sequence) {
  const auto packet = RtpPacketView::parse(original);
  if (!packet || rtx_payload_type > kMaxPayloadType) return 0;
  const std::size_t size = rtx_packet_size(*packet);
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  copy_header(*packet, p, rtx_payload_type, rtx_ssrc, rtx_sequence);
  p += packet->header_size();
  write_u16(p, packet->sequence_number());
  const Bytes payload = packet->payload();
  std::copy(payload.begin(), payload.end(), p + kOsnSize);
  return size;
}

std::optional<RtpPacketView> parse_rtx_packet(Bytes rtx, std::uint8_t original_payload_type,
                                              std::uint32_t original_ssrc, MutableBytes out) {
  const auto packet = RtpPacketView::parse(rtx);
  if (!packet || original_payload_type > kMaxPayloadType) return std::nullopt;
  const Bytes payload = packet->payload();
  if (payload.size() < kOsnSize) return std::nullopt;
  const std::size_t size = packet->header_size() + payload.size() - kOsnSize;
  if (out.size() < size) return std::nullopt;
  std::uint8_t* p = out.data();
  copy_header(*packet, p, original_payload_type, original_ssrc, read_u16(payload.data()));
  std::copy(payload.begin() + kOsnSize, payload.end(), p + packet->header_size());
  return RtpPacketView::parse(out.first(size));
}

}  // namespace callcast::rtp
