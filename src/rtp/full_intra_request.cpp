#include "rtp/full_intra_request.hpp"

#include <algorithm>

#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

namespace {

constexpr std::size_t kEntrySize = 8;

}  // namespace

std::optional<FullIntraRequest> parse_full_intra_request(const RtcpPacketView& packet) {
  const auto feedback = parse_feedback(packet, PayloadFeedbackFormat::full_intra_request);
  if (!feedback || feedback->fci.empty() || feedback->fci.size() % kEntrySize != 0) {
    return std::nullopt;
  }
  FullIntraRequest request;
  request.sender_ssrc = feedback->sender_ssrc;
  const std::size_t entries = feedback->fci.size() / kEntrySize;
  request.truncated = entries > FullIntraRequest::kMaxEntries;
  request.entry_count = std::min(entries, FullIntraRequest::kMaxEntries);
  for (std::size_t i = 0; i < request.entry_count; ++i) {
    const std::uint8_t* p = feedback->fci.data() + i * kEntrySize;
    request.entries[i] = FirEntry{.ssrc = read_u32(p), .sequence = p[4]};
  }
  return request;
}

std::size_t write_full_intra_request(MutableBytes out, std::uint32_t sender_ssrc,
                                     std::uint32_t media_ssrc, std::uint8_t sequence) {
  constexpr std::size_t kSize = kFeedbackHeaderSize + kEntrySize;
  if (out.size() < kSize) return 0;
  std::uint8_t* p = out.data();
  write_feedback_header(p, PayloadFeedbackFormat::full_intra_request, kSize, sender_ssrc, 0);
  write_u32(p + 12, media_ssrc);
  write_u32(p + 16, std::uint32_t{sequence} << 24);
  return kSize;
}

}  // namespace callcast::rtp
