#include "rtp/rtcp.hpp"

#include <algorithm>

namespace callcast::rtp {

namespace {

constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kSenderInfoSize = 24;  // SSRC of sender + 20 bytes of sender info
constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kMaxCount = 31;  // the RC / SC field is 5 bits
constexpr std::uint8_t kSdesCname = 1;
constexpr std::size_t kMaxItemLength = 255;  // SDES item and BYE reason lengths are one octet

constexpr std::int32_t kMinCumulativeLost = -0x800000;
constexpr std::int32_t kMaxCumulativeLost = 0x7fffff;

constexpr std::size_t round_up_to_word(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

// Writes V=2, no padding, `count`, `type` and the length of a packet of `total_size` bytes
// (a multiple of 4) as RFC 3550 counts it: 32-bit words minus one.
void write_header(std::uint8_t* p, std::size_t count, RtcpType type, std::size_t total_size) {
  p[0] = static_cast<std::uint8_t>((kVersion << 6) | count);
  p[1] = static_cast<std::uint8_t>(type);
  write_u16(p + 2, static_cast<std::uint16_t>(total_size / 4 - 1));
}

// The body without RTCP padding: what report counts are checked against.
Bytes unpadded_body(const RtcpPacketView& packet) {
  const Bytes body = packet.body();
  return body.first(body.size() - packet.padding_size());
}

//  RFC 3550 §6.4.1 report block:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 SSRC_1 (SSRC of first source)                 |
//  | fraction lost |       cumulative number of packets lost       |
//  |           extended highest sequence number received           |
//  |                      interarrival jitter                      |
//  |                         last SR (LSR)                         |
//  |                   delay since last SR (DLSR)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
ReportBlock read_report_block(const std::uint8_t* p) {
  ReportBlock block;
  block.ssrc = read_u32(p);
  block.fraction_lost = p[4];
  // Sign-extend the 24-bit two's complement field (a receiver may see duplicates as negative
  // loss).
  block.cumulative_lost = static_cast<std::int32_t>(read_u24(p + 5) << 8) >> 8;
  block.highest_sequence = read_u32(p + 8);
  block.jitter = read_u32(p + 12);
  block.last_sr = read_u32(p + 16);
  block.delay_since_last_sr = read_u32(p + 20);
  return block;
}

void write_report_block(std::uint8_t* p, const ReportBlock& block) {
  // RFC 3550 A.3: a count that does not fit the 24-bit field is clamped, not wrapped.
  const std::int32_t lost =
      std::clamp(block.cumulative_lost, kMinCumulativeLost, kMaxCumulativeLost);
  write_u32(p, block.ssrc);
  write_u32(p + 4, (std::uint32_t{block.fraction_lost} << 24) |
                       (static_cast<std::uint32_t>(lost) & 0xffffffU));
  write_u32(p + 8, block.highest_sequence);
  write_u32(p + 12, block.jitter);
  write_u32(p + 16, block.last_sr);
  write_u32(p + 20, block.delay_since_last_sr);
}

}  // namespace

std::optional<RtcpCompoundView> RtcpCompoundView::parse(Bytes compound) {
  if (compound.empty()) return std::nullopt;
  RtcpCompoundView view;
  std::size_t offset = 0;
  while (offset < compound.size()) {
    const std::size_t remaining = compound.size() - offset;
    if (remaining < kHeaderSize) return std::nullopt;
    const std::uint8_t* header = &compound[offset];
    if ((header[0] >> 6) != kVersion) return std::nullopt;
    const std::size_t packet_size = (std::size_t{read_u16(header + 2)} + 1) * 4;
    if (packet_size > remaining) return std::nullopt;
    if (view.count_ == kMaxPackets) return std::nullopt;

    const Bytes packet = compound.subspan(offset, packet_size);
    if ((header[0] & 0x20) != 0) {
      // RFC 3550 §6.4.1: padding is only ever needed, and so only allowed, on the last packet;
      // its count octet includes itself and cannot reach back into the header.
      if (packet_size != remaining) return std::nullopt;
      const std::size_t padding = packet.back();
      if (padding == 0 || padding > packet_size - kHeaderSize) return std::nullopt;
    }
    view.packets_[view.count_++] = RtcpPacketView(packet);
    offset += packet_size;
  }
  return view;
}

//  RFC 3550 §6.4.1 sender report:
//  |V=2|P|    RC   |   PT=SR=200   |             length            |
//  |                         SSRC of sender                        |
//  |              NTP timestamp, most significant word             |
//  |             NTP timestamp, least significant word             |
//  |                         RTP timestamp                         |
//  |                     sender's packet count                     |
//  |                      sender's octet count                     |
//  |                 report blocks (RC x 24 bytes) ...             |
std::optional<SenderReport> parse_sender_report(const RtcpPacketView& packet) {
  if (packet.type() != static_cast<std::uint8_t>(RtcpType::sender_report)) return std::nullopt;
  const Bytes body = unpadded_body(packet);
  const std::size_t blocks = packet.count();
  if (body.size() < kSenderInfoSize + blocks * kReportBlockSize) return std::nullopt;

  SenderReport report;
  const std::uint8_t* p = body.data();
  report.sender.ssrc = read_u32(p);
  report.sender.ntp_timestamp = read_u64(p + 4);
  report.sender.rtp_timestamp = read_u32(p + 12);
  report.sender.packet_count = read_u32(p + 16);
  report.sender.octet_count = read_u32(p + 20);
  for (std::size_t i = 0; i < blocks; ++i) {
    report.blocks[i] = read_report_block(p + kSenderInfoSize + i * kReportBlockSize);
  }
  report.block_count = blocks;
  return report;
}

//  RFC 3550 §6.4.2 receiver report:
//  |V=2|P|    RC   |   PT=RR=201   |             length            |
//  |                     SSRC of packet sender                     |
//  |                 report blocks (RC x 24 bytes) ...             |
std::optional<ReceiverReport> parse_receiver_report(const RtcpPacketView& packet) {
  if (packet.type() != static_cast<std::uint8_t>(RtcpType::receiver_report)) return std::nullopt;
  const Bytes body = unpadded_body(packet);
  const std::size_t blocks = packet.count();
  if (body.size() < 4 + blocks * kReportBlockSize) return std::nullopt;

  ReceiverReport report;
  report.sender_ssrc = read_u32(body.data());
  for (std::size_t i = 0; i < blocks; ++i) {
    report.blocks[i] = read_report_block(body.data() + 4 + i * kReportBlockSize);
  }
  report.block_count = blocks;
  return report;
}

std::size_t write_sender_report(MutableBytes out, const SenderInfo& sender) {
  constexpr std::size_t kSize = kHeaderSize + kSenderInfoSize;
  if (out.size() < kSize) return 0;
  std::uint8_t* p = out.data();
  write_header(p, 0, RtcpType::sender_report, kSize);
  write_u32(p + 4, sender.ssrc);
  write_u64(p + 8, sender.ntp_timestamp);
  write_u32(p + 16, sender.rtp_timestamp);
  write_u32(p + 20, sender.packet_count);
  write_u32(p + 24, sender.octet_count);
  return kSize;
}

std::size_t write_receiver_report(MutableBytes out, std::uint32_t sender_ssrc,
                                  std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxCount) return 0;
  const std::size_t size = kHeaderSize + 4 + blocks.size() * kReportBlockSize;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, blocks.size(), RtcpType::receiver_report, size);
  write_u32(p + 4, sender_ssrc);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    write_report_block(p + 8 + i * kReportBlockSize, blocks[i]);
  }
  return size;
}

//  RFC 3550 §6.5 SDES with one chunk holding one CNAME item:
//  |V=2|P|  SC=1   |  PT=SDES=202  |             length            |
//  |                             SSRC                              |
//  |  CNAME=1      |     length    | user and domain name ...      |
//  |  ... 0 (end of item list), then 0s up to a 32-bit boundary    |
// The item list always ends with at least one null octet, so a chunk whose text already ends on
// a word boundary gains a whole word of nulls.
std::size_t write_sdes_cname(MutableBytes out, std::uint32_t ssrc, std::string_view cname) {
  if (cname.size() > kMaxItemLength) return 0;
  const std::size_t items_size = round_up_to_word(2 + cname.size() + 1);
  const std::size_t size = kHeaderSize + 4 + items_size;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, 1, RtcpType::source_description, size);
  write_u32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<std::uint8_t>(cname.size());
  std::uint8_t* text = p + 10;
  for (const char c : cname)
    *text++ = static_cast<std::uint8_t>(c);
  std::fill(text, p + size, std::uint8_t{0});
  return size;
}

//  RFC 3550 §6.6 BYE for one source:
//  |V=2|P|  SC=1   |   PT=BYE=203  |             length            |
//  |                             SSRC                              |
//  |     length    |  reason for leaving (optional) ... 0 padding  |
std::size_t write_bye(MutableBytes out, std::uint32_t ssrc, std::string_view reason) {
  if (reason.size() > kMaxItemLength) return 0;
  const std::size_t reason_size = reason.empty() ? 0 : round_up_to_word(1 + reason.size());
  const std::size_t size = kHeaderSize + 4 + reason_size;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_header(p, 1, RtcpType::bye, size);
  write_u32(p + 4, ssrc);
  if (!reason.empty()) {
    p[8] = static_cast<std::uint8_t>(reason.size());
    std::uint8_t* text = p + 9;
    for (const char c : reason)
      *text++ = static_cast<std::uint8_t>(c);
    std::fill(text, p + size, std::uint8_t{0});
  }
  return size;
}

}  // namespace callcast::rtp
