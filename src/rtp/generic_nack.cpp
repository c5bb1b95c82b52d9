#include "rtp/generic_nack.hpp"

#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

namespace {

constexpr std::size_t kItemSize = 4;

// Calls f(item) for each item `lost` packs into; returns how many.
template <class F>
std::size_t pack(std::span<const std::uint16_t> lost, F f) {
  if (lost.empty()) return 0;
  NackItem item{.pid = lost[0], .blp = 0};
  std::size_t count = 1;
  for (const std::uint16_t seq : lost.subspan(1)) {
    const auto offset = static_cast<std::uint16_t>(seq - item.pid);
    if (offset == 0) continue;  // a repeat of the PID
    if (offset <= 16) {
      item.blp = static_cast<std::uint16_t>(item.blp | (1U << (offset - 1)));
      continue;
    }
    f(item);
    item = NackItem{.pid = seq, .blp = 0};
    ++count;
  }
  f(item);
  return count;
}

}  // namespace

std::optional<GenericNack> parse_generic_nack(const RtcpPacketView& packet) {
  const auto feedback = parse_feedback(packet, TransportFeedbackFormat::generic_nack);
  if (!feedback || feedback->fci.empty() || feedback->fci.size() % kItemSize != 0) {
    return std::nullopt;
  }
  GenericNack nack;
  nack.sender_ssrc = feedback->sender_ssrc;
  nack.media_ssrc = feedback->media_ssrc;
  const std::size_t items = feedback->fci.size() / kItemSize;
  nack.truncated = items > GenericNack::kMaxItems;
  nack.item_count = nack.truncated ? GenericNack::kMaxItems : items;
  for (std::size_t i = 0; i < nack.item_count; ++i) {
    const std::uint8_t* p = feedback->fci.data() + i * kItemSize;
    nack.items[i] = NackItem{.pid = read_u16(p), .blp = read_u16(p + 2)};
  }
  return nack;
}

std::size_t write_generic_nack(MutableBytes out, std::uint32_t sender_ssrc,
                               std::uint32_t media_ssrc, std::span<const std::uint16_t> lost) {
  const std::size_t items = pack(lost, [](const NackItem&) {});
  const std::size_t size = kFeedbackHeaderSize + items * kItemSize;
  if (items == 0 || size > kMaxRtcpPacketSize || out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_feedback_header(p, TransportFeedbackFormat::generic_nack, size, sender_ssrc, media_ssrc);
  p += kFeedbackHeaderSize;
  pack(lost, [&p](const NackItem& item) {
    write_u16(p, item.pid);
    write_u16(p + 2, item.blp);
    p += kItemSize;
  });
  return size;
}

}  // namespace callcast::rtp
