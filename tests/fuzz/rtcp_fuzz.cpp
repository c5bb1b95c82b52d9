// Fuzzes RtcpCompoundView::parse and the SR/RR parsers. Accepted packets must tile the input;
// reports the writers can express (SR without blocks, any RR) must survive write -> parse.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rtp/rtcp.hpp"

using namespace callcast::rtp;

namespace {

void check_sender_report(const RtcpPacketView& packet) {
  const auto report = parse_sender_report(packet);
  if (!report) return;
  if (report->block_count != packet.count()) __builtin_trap();
  if (report->block_count != 0) return;  // the writer only writes SRs without blocks

  std::array<std::uint8_t, 28> out{};
  if (write_sender_report(out, report->sender) != out.size()) __builtin_trap();
  const auto written = RtcpCompoundView::parse(out);
  if (!written || written->size() != 1) __builtin_trap();
  const auto reparsed = parse_sender_report((*written)[0]);
  if (!reparsed || !(reparsed->sender == report->sender)) __builtin_trap();
}

void check_receiver_report(const RtcpPacketView& packet) {
  const auto report = parse_receiver_report(packet);
  if (!report) return;
  if (report->block_count != packet.count()) __builtin_trap();

  const std::span<const ReportBlock> blocks(report->blocks.data(), report->block_count);
  for (const ReportBlock& block : blocks) {
    if (block.cumulative_lost < -0x800000 || block.cumulative_lost > 0x7fffff) __builtin_trap();
  }
  std::array<std::uint8_t, 8 + 31 * 24> out{};
  const std::size_t size = write_receiver_report(out, report->sender_ssrc, blocks);
  if (size != 8 + 24 * blocks.size()) __builtin_trap();
  const auto written = RtcpCompoundView::parse(std::span(out).first(size));
  if (!written || written->size() != 1) __builtin_trap();
  const auto reparsed = parse_receiver_report((*written)[0]);
  if (!reparsed || reparsed->sender_ssrc != report->sender_ssrc ||
      reparsed->block_count != report->block_count) {
    __builtin_trap();
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!(reparsed->blocks[i] == blocks[i])) __builtin_trap();
  }
}

void check_written(std::span<const std::uint8_t> out, std::size_t written, std::size_t text_size) {
  if (written == 0) {
    if (text_size <= 255) __builtin_trap();
    return;
  }
  const auto parsed = RtcpCompoundView::parse(out.first(written));
  if (!parsed || parsed->size() != 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto compound = RtcpCompoundView::parse(Bytes(data, size));
  if (compound) {
    if (compound->size() == 0 || compound->size() > RtcpCompoundView::kMaxPackets) {
      __builtin_trap();
    }
    const std::uint8_t* next = data;
    for (const RtcpPacketView& packet : *compound) {
      if (packet.bytes().data() != next || packet.bytes().size() % 4 != 0) __builtin_trap();
      next += packet.bytes().size();
      if (packet.body().size() + 4 != packet.bytes().size()) __builtin_trap();
      if (packet.padding_size() > packet.body().size()) __builtin_trap();
      if (packet.padding_size() != 0 && &packet != compound->end() - 1) __builtin_trap();
      volatile std::uint32_t sink = 0;
      sink = sink + packet.type() + packet.count();
      check_sender_report(packet);
      check_receiver_report(packet);
    }
    if (next != data + size) __builtin_trap();
  }

  // Writers fed with fuzz-chosen text: whatever they write must parse as one packet, and they
  // refuse only text longer than the one-octet length fields allow.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::array<std::uint8_t, 300> sdes{};
  std::array<std::uint8_t, 300> bye{};
  check_written(sdes, write_sdes_cname(sdes, 1, text), size);
  check_written(bye, write_bye(bye, 1, text), size);
  return 0;
}
