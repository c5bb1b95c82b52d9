#include "rtp/temporary_max_bitrate.hpp"

#include <algorithm>

#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

namespace {

constexpr std::size_t kItemSize = 8;
constexpr unsigned kMantissaBits = 17;
constexpr unsigned kOverheadBits = 9;

std::optional<TmmbItem> read_item(const std::uint8_t* p) {
  const std::uint32_t word = read_u32(p + 4);
  const auto exponent = static_cast<std::uint8_t>(word >> (kMantissaBits + kOverheadBits));
  const std::uint32_t mantissa = (word >> kOverheadBits) & ((1U << kMantissaBits) - 1);
  const auto bitrate = from_exponent_mantissa(exponent, mantissa);
  if (!bitrate) return std::nullopt;
  return TmmbItem{.ssrc = read_u32(p),
                  .bitrate_bps = *bitrate,
                  .overhead = static_cast<std::uint16_t>(word & ((1U << kOverheadBits) - 1))};
}

void write_item(std::uint8_t* p, const TmmbItem& item) {
  const ExponentMantissa bitrate = to_exponent_mantissa(item.bitrate_bps, kMantissaBits);
  write_u32(p, item.ssrc);
  write_u32(p + 4, (std::uint32_t{bitrate.exponent} << (kMantissaBits + kOverheadBits)) |
                       (bitrate.mantissa << kOverheadBits) | item.overhead);
}

std::size_t write(MutableBytes out, TransportFeedbackFormat format, std::uint32_t sender_ssrc,
                  std::span<const TmmbItem> items) {
  const std::size_t size = kFeedbackHeaderSize + items.size() * kItemSize;
  if (size > kMaxRtcpPacketSize || out.size() < size) return 0;
  for (const TmmbItem& item : items) {
    if (item.overhead > TemporaryMaxBitrate::kMaxOverhead) return 0;
  }
  std::uint8_t* p = out.data();
  write_feedback_header(p, format, size, sender_ssrc, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    write_item(p + kFeedbackHeaderSize + i * kItemSize, items[i]);
  }
  return size;
}

}  // namespace

std::optional<TemporaryMaxBitrate> parse_temporary_max_bitrate(const RtcpPacketView& packet) {
  auto feedback = parse_feedback(packet, TransportFeedbackFormat::temporary_max_bitrate);
  const bool notification = !feedback;
  if (notification) {
    feedback = parse_feedback(packet, TransportFeedbackFormat::temporary_max_bitrate_notification);
  }
  if (!feedback || feedback->fci.size() % kItemSize != 0) return std::nullopt;
  const std::size_t items = feedback->fci.size() / kItemSize;
  if (items == 0 && !notification) return std::nullopt;

  TemporaryMaxBitrate message;
  message.notification = notification;
  message.sender_ssrc = feedback->sender_ssrc;
  message.truncated = items > TemporaryMaxBitrate::kMaxItems;
  message.item_count = std::min(items, TemporaryMaxBitrate::kMaxItems);
  for (std::size_t i = 0; i < message.item_count; ++i) {
    const auto item = read_item(feedback->fci.data() + i * kItemSize);
    if (!item) return std::nullopt;
    message.items[i] = *item;
  }
  return message;
}

std::size_t write_tmmbr(MutableBytes out, std::uint32_t sender_ssrc, const TmmbItem& item) {
  return write(out, TransportFeedbackFormat::temporary_max_bitrate, sender_ssrc,
               std::span(&item, 1));
}

std::size_t write_tmmbn(MutableBytes out, std::uint32_t sender_ssrc,
                        std::span<const TmmbItem> items) {
  return write(out, TransportFeedbackFormat::temporary_max_bitrate_notification, sender_ssrc,
               items);
}

}  // namespace callcast::rtp
