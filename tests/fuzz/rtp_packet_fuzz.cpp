// Fuzzes RtpPacketView::parse: whatever it accepts must describe the buffer exactly, and
// rewriting the header in place must neither change the layout nor lose the new values.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtp/rtp_packet_view.hpp"

using namespace callcast::rtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  const auto view = RtpPacketView::parse(input);
  if (!view) return 0;

  const Bytes payload = view->payload();
  if (view->header_size() + payload.size() + view->padding_size() != size) __builtin_trap();
  if (view->header_size() < RtpPacketView::kFixedHeaderSize + 4U * view->csrc_count()) {
    __builtin_trap();
  }
  if (payload.data() != data + view->header_size()) __builtin_trap();
  if (view->bytes().data() != data || view->bytes().size() != size) __builtin_trap();
  if (view->payload_type() > 127) __builtin_trap();
  volatile std::uint32_t sink = 0;
  sink = sink + view->marker() + view->sequence_number() + view->timestamp() + view->ssrc() +
         view->has_extension();
  for (const std::uint8_t byte : payload)
    sink = sink + byte;

  std::vector<std::uint8_t> copy(data, data + size);
  const auto seq = static_cast<std::uint16_t>(view->sequence_number() + 1);
  const std::uint32_t ts = ~view->timestamp();
  const std::uint32_t ssrc = view->ssrc() ^ 0x5a5a5a5aU;
  set_sequence_number(copy, seq);
  set_timestamp(copy, ts);
  set_ssrc(copy, ssrc);
  const auto rewritten = RtpPacketView::parse(copy);
  if (!rewritten) __builtin_trap();
  if (rewritten->sequence_number() != seq || rewritten->timestamp() != ts ||
      rewritten->ssrc() != ssrc) {
    __builtin_trap();
  }
  if (rewritten->header_size() != view->header_size() ||
      rewritten->padding_size() != view->padding_size() ||
      rewritten->payload().size() != payload.size()) {
    __builtin_trap();
  }
  if (sequence_delta(seq, view->sequence_number()) != 1) __builtin_trap();
  return 0;
}
