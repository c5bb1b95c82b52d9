#include "rtp/receiver_estimated_max_bitrate.hpp"

#include <algorithm>

#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

namespace {

constexpr std::array<std::uint8_t, 4> kIdentifier = {'R', 'E', 'M', 'B'};
constexpr std::size_t kFixedFciSize = 8;  // identifier, Num SSRC, exponent and mantissa
constexpr unsigned kMantissaBits = 18;
constexpr std::size_t kMaxNumSsrc = 255;

}  // namespace

std::optional<ReceiverEstimatedMaxBitrate> parse_receiver_estimated_max_bitrate(
    const RtcpPacketView& packet) {
  const auto feedback = parse_feedback(packet, PayloadFeedbackFormat::application_layer);
  if (!feedback || feedback->fci.size() < kFixedFciSize) return std::nullopt;
  const Bytes fci = feedback->fci;
  if (!std::equal(kIdentifier.begin(), kIdentifier.end(), fci.begin())) return std::nullopt;

  const std::size_t num_ssrc = fci[4];
  if ((fci.size() - kFixedFciSize) / 4 < num_ssrc) return std::nullopt;
  const auto exponent = static_cast<std::uint8_t>(fci[5] >> 2);
  const std::uint32_t mantissa = read_u24(&fci[5]) & ((1U << kMantissaBits) - 1);
  const auto bitrate = from_exponent_mantissa(exponent, mantissa);
  if (!bitrate) return std::nullopt;

  ReceiverEstimatedMaxBitrate remb;
  remb.sender_ssrc = feedback->sender_ssrc;
  remb.bitrate_bps = *bitrate;
  remb.truncated = num_ssrc > ReceiverEstimatedMaxBitrate::kMaxSsrcs;
  remb.ssrc_count = std::min(num_ssrc, ReceiverEstimatedMaxBitrate::kMaxSsrcs);
  for (std::size_t i = 0; i < remb.ssrc_count; ++i) {
    remb.ssrcs[i] = read_u32(&fci[kFixedFciSize + 4 * i]);
  }
  return remb;
}

std::size_t write_receiver_estimated_max_bitrate(MutableBytes out, std::uint32_t sender_ssrc,
                                                 std::uint64_t bitrate_bps,
                                                 std::span<const std::uint32_t> ssrcs) {
  if (ssrcs.size() > kMaxNumSsrc) return 0;
  const std::size_t size = kFeedbackHeaderSize + kFixedFciSize + 4 * ssrcs.size();
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  write_feedback_header(p, PayloadFeedbackFormat::application_layer, size, sender_ssrc, 0);
  p += kFeedbackHeaderSize;
  std::copy(kIdentifier.begin(), kIdentifier.end(), p);
  const ExponentMantissa bitrate = to_exponent_mantissa(bitrate_bps, kMantissaBits);
  write_u32(p + 4, (static_cast<std::uint32_t>(ssrcs.size()) << 24) |
                       (std::uint32_t{bitrate.exponent} << kMantissaBits) | bitrate.mantissa);
  p += kFixedFciSize;
  for (const std::uint32_t ssrc : ssrcs) {
    write_u32(p, ssrc);
    p += 4;
  }
  return size;
}

}  // namespace callcast::rtp
