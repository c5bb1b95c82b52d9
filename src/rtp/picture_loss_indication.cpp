#include "rtp/picture_loss_indication.hpp"

#include "rtp/rtcp_feedback.hpp"

namespace callcast::rtp {

std::optional<PictureLossIndication> parse_picture_loss_indication(const RtcpPacketView& packet) {
  const auto feedback = parse_feedback(packet, PayloadFeedbackFormat::picture_loss_indication);
  if (!feedback) return std::nullopt;
  return PictureLossIndication{.sender_ssrc = feedback->sender_ssrc,
                               .media_ssrc = feedback->media_ssrc};
}

std::size_t write_picture_loss_indication(MutableBytes out, std::uint32_t sender_ssrc,
                                          std::uint32_t media_ssrc) {
  if (out.size() < kFeedbackHeaderSize) return 0;
  write_feedback_header(out.data(), PayloadFeedbackFormat::picture_loss_indication,
                        kFeedbackHeaderSize, sender_ssrc, media_ssrc);
  return kFeedbackHeaderSize;
}

}  // namespace callcast::rtp
