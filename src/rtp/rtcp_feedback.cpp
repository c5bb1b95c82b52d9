#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

namespace {

constexpr std::uint8_t kVersion = 2;

std::optional<FeedbackPacket> parse(const RtcpPacketView& packet, RtcpType type,
                                    std::uint8_t format) {
  if (packet.type() != static_cast<std::uint8_t>(type) || packet.count() != format) {
    return std::nullopt;
  }
  const Bytes body = packet.body();
  const Bytes unpadded = body.first(body.size() - packet.padding_size());
  if (unpadded.size() < kFeedbackHeaderSize - 4) return std::nullopt;
  return FeedbackPacket{.sender_ssrc = read_u32(unpadded.data()),
                        .media_ssrc = read_u32(unpadded.data() + 4),
                        .fci = unpadded.subspan(8)};
}

void write(std::uint8_t* p, RtcpType type, std::uint8_t format, std::size_t total_size,
           std::uint32_t sender_ssrc, std::uint32_t media_ssrc) {
  p[0] = static_cast<std::uint8_t>((kVersion << 6) | format);
  p[1] = static_cast<std::uint8_t>(type);
  write_u16(p + 2, static_cast<std::uint16_t>(total_size / 4 - 1));
  write_u32(p + 4, sender_ssrc);
  write_u32(p + 8, media_ssrc);
}

}  // namespace

std::optional<FeedbackPacket> parse_feedback(const RtcpPacketView& packet,
                                             TransportFeedbackFormat format) {
  return parse(packet, RtcpType::transport_feedback, static_cast<std::uint8_t>(format));
}

std::optional<FeedbackPacket> parse_feedback(const RtcpPacketView& packet,
                                             PayloadFeedbackFormat format) {
  return parse(packet, RtcpType::payload_feedback, static_cast<std::uint8_t>(format));
}

void write_feedback_header(std::uint8_t* p, TransportFeedbackFormat format, std::size_t total_size,
                           std::uint32_t sender_ssrc, std::uint32_t media_ssrc) {
  write(p, RtcpType::transport_feedback, static_cast<std::uint8_t>(format), total_size, sender_ssrc,
        media_ssrc);
}

void write_feedback_header(std::uint8_t* p, PayloadFeedbackFormat format, std::size_t total_size,
                           std::uint32_t sender_ssrc, std::uint32_t media_ssrc) {
  write(p, RtcpType::payload_feedback, static_cast<std::uint8_t>(format), total_size, sender_ssrc,
        media_ssrc);
}

}  // namespace callcast::rtp
