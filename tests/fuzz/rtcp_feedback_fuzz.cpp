// Fuzzes the RTCP feedback parsers (generic NACK, PLI, FIR, REMB, TMMBR/TMMBN) over every packet
// of a compound: whatever one accepts must respect its bounds and survive write -> parse. The
// writers are fed fuzz-chosen values too: the NACK packer must name exactly the sequence numbers
// it was given, and the exponent/mantissa writers must round down by less than one step.
#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rtp/full_intra_request.hpp"
#include "rtp/generic_nack.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/temporary_max_bitrate.hpp"

using namespace callcast::rtp;

namespace {

using SequenceSet = std::bitset<65536>;

// Every parser must refuse a packet that is not of its PT and FMT.
bool is(const RtcpPacketView& packet, RtcpType type, std::uint8_t format) {
  return packet.type() == static_cast<std::uint8_t>(type) && packet.count() == format;
}

// The only packet of `bytes`, which a writer has just produced.
RtcpPacketView only_packet(std::span<const std::uint8_t> bytes) {
  const auto compound = RtcpCompoundView::parse(bytes);
  if (!compound || compound->size() != 1) __builtin_trap();
  return (*compound)[0];
}

SequenceSet lost_set(const GenericNack& nack) {
  SequenceSet set;
  nack.for_each_lost([&set](std::uint16_t seq) { set.set(seq); });
  return set;
}

// Writes `lost` as one NACK and checks that it names exactly those packets.
void check_nack_writer(std::span<const std::uint16_t> lost) {
  static std::array<std::uint8_t, 12 + 4 * 4096> out;
  const std::size_t size = write_generic_nack(out, 1, 2, lost);
  if (lost.empty()) {
    if (size != 0) __builtin_trap();
    return;
  }
  if (size == 0 || size > 12 + 4 * lost.size()) __builtin_trap();
  const auto nack = parse_generic_nack(only_packet(std::span(out).first(size)));
  if (!nack || nack->sender_ssrc != 1 || nack->media_ssrc != 2) __builtin_trap();
  SequenceSet asked;
  for (const std::uint16_t seq : lost)
    asked.set(seq);
  const SequenceSet named = lost_set(*nack);
  if (nack->truncated ? (named & ~asked).any() : named != asked) __builtin_trap();
}

void check_nack(const RtcpPacketView& packet) {
  const auto nack = parse_generic_nack(packet);
  if (!nack) return;
  if (!is(packet, RtcpType::transport_feedback, 1)) __builtin_trap();
  const std::size_t items = (packet.body().size() - packet.padding_size() - 8) / 4;
  if (nack->truncated != (items > GenericNack::kMaxItems) ||
      nack->item_count != std::min(items, GenericNack::kMaxItems)) {
    __builtin_trap();
  }
  static std::vector<std::uint16_t> lost;
  lost.clear();
  nack->for_each_lost([](std::uint16_t seq) { lost.push_back(seq); });
  if (lost.size() < nack->item_count || lost.size() > 17 * nack->item_count) __builtin_trap();
  check_nack_writer(lost);
}

void check_pli(const RtcpPacketView& packet) {
  const auto pli = parse_picture_loss_indication(packet);
  if (!pli) return;
  if (!is(packet, RtcpType::payload_feedback, 1)) __builtin_trap();
  std::array<std::uint8_t, 12> out{};
  if (write_picture_loss_indication(out, pli->sender_ssrc, pli->media_ssrc) != out.size()) {
    __builtin_trap();
  }
  const auto again = parse_picture_loss_indication(only_packet(out));
  if (!again || !(*again == *pli)) __builtin_trap();
}

void check_fir(const RtcpPacketView& packet) {
  const auto fir = parse_full_intra_request(packet);
  if (!fir) return;
  if (!is(packet, RtcpType::payload_feedback, 4)) __builtin_trap();
  if (fir->entry_count == 0 || fir->entry_count > FullIntraRequest::kMaxEntries) __builtin_trap();
  for (std::size_t i = 0; i < fir->entry_count; ++i) {
    std::array<std::uint8_t, 20> out{};
    const FirEntry& entry = fir->entries[i];
    if (write_full_intra_request(out, fir->sender_ssrc, entry.ssrc, entry.sequence) != 20) {
      __builtin_trap();
    }
    const auto again = parse_full_intra_request(only_packet(out));
    if (!again || again->sender_ssrc != fir->sender_ssrc || again->entry_count != 1 ||
        !(again->entries[0] == entry)) {
      __builtin_trap();
    }
  }
}

void check_remb(const RtcpPacketView& packet) {
  const auto remb = parse_receiver_estimated_max_bitrate(packet);
  if (!remb) return;
  if (!is(packet, RtcpType::payload_feedback, 15)) __builtin_trap();
  if (remb->ssrc_count > ReceiverEstimatedMaxBitrate::kMaxSsrcs) __builtin_trap();
  // A value the fields carried is representable, so it is written back exactly.
  const std::span<const std::uint32_t> ssrcs(remb->ssrcs.data(), remb->ssrc_count);
  std::array<std::uint8_t, 20 + 4 * ReceiverEstimatedMaxBitrate::kMaxSsrcs> out{};
  const std::size_t size =
      write_receiver_estimated_max_bitrate(out, remb->sender_ssrc, remb->bitrate_bps, ssrcs);
  if (size != 20 + 4 * ssrcs.size()) __builtin_trap();
  const auto again = parse_receiver_estimated_max_bitrate(only_packet(std::span(out).first(size)));
  if (!again || again->sender_ssrc != remb->sender_ssrc ||
      again->bitrate_bps != remb->bitrate_bps || again->ssrc_count != remb->ssrc_count ||
      again->ssrcs != remb->ssrcs) {
    __builtin_trap();
  }
}

void check_tmmb(const RtcpPacketView& packet) {
  const auto message = parse_temporary_max_bitrate(packet);
  if (!message) return;
  if (!is(packet, RtcpType::transport_feedback, message->notification ? 4 : 3)) __builtin_trap();
  if (message->item_count > TemporaryMaxBitrate::kMaxItems) __builtin_trap();
  if (!message->notification && message->item_count == 0) __builtin_trap();
  const std::span<const TmmbItem> items(message->items.data(), message->item_count);
  for (const TmmbItem& item : items) {
    if (item.overhead > TemporaryMaxBitrate::kMaxOverhead) __builtin_trap();
  }
  std::array<std::uint8_t, 12 + 8 * TemporaryMaxBitrate::kMaxItems> out{};
  const std::size_t size = message->notification ? write_tmmbn(out, message->sender_ssrc, items)
                                                 : write_tmmbr(out, message->sender_ssrc, items[0]);
  const std::size_t written_items = message->notification ? items.size() : 1;
  if (size != 12 + 8 * written_items) __builtin_trap();
  const auto again = parse_temporary_max_bitrate(only_packet(std::span(out).first(size)));
  if (!again || again->notification != message->notification ||
      again->sender_ssrc != message->sender_ssrc || again->item_count != written_items) {
    __builtin_trap();
  }
  for (std::size_t i = 0; i < written_items; ++i) {
    if (!(again->items[i] == items[i])) __builtin_trap();
  }
}

// The bitrate written for `asked` is at most `asked` and less than one mantissa step below it.
void check_bitrate_writers(std::uint64_t asked) {
  std::array<std::uint8_t, 20> out{};
  if (write_receiver_estimated_max_bitrate(out, 1, asked, {}) != 20) __builtin_trap();
  const auto remb = parse_receiver_estimated_max_bitrate(only_packet(out));
  if (!remb || remb->bitrate_bps > asked || asked - remb->bitrate_bps > (asked >> 17)) {
    __builtin_trap();
  }
  const TmmbItem item{.ssrc = 3, .bitrate_bps = asked, .overhead = 511};
  if (write_tmmbr(out, 1, item) != 20) __builtin_trap();
  const auto tmmbr = parse_temporary_max_bitrate(only_packet(out));
  if (!tmmbr || tmmbr->items[0].bitrate_bps > asked ||
      asked - tmmbr->items[0].bitrate_bps > (asked >> 16) || tmmbr->items[0].overhead != 511) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto compound = RtcpCompoundView::parse(Bytes(data, size));
  if (compound) {
    for (const RtcpPacketView& packet : *compound) {
      check_nack(packet);
      check_pli(packet);
      check_fir(packet);
      check_remb(packet);
      check_tmmb(packet);
    }
  }

  // The same bytes read as writer inputs: 16-bit sequence numbers in sending order, and a
  // 64-bit bitrate.
  std::vector<std::uint16_t> lost;
  for (std::size_t i = 0; i + 1 < size && lost.size() < 4096; i += 2)
    lost.push_back(read_u16(data + i));
  check_nack_writer(lost);
  if (size >= 8) check_bitrate_writers(read_u64(data));
  return 0;
}
