#include "terminal/media/feedback_requests.hpp"

#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::terminal {

namespace {

std::optional<FeedbackRequest> request_in(const rtp::RtcpPacketView& packet) {
  FeedbackRequest request;
  if (rtp::parse_picture_loss_indication(packet)) {
    request.keyframe_cause = KeyframeCause::pli;
    return request;
  }
  // A FIR names the streams it wants an IDR of; the broadcaster has one video stream.
  if (const auto fir = rtp::parse_full_intra_request(packet); fir && fir->entry_count > 0) {
    request.keyframe_cause = KeyframeCause::fir;
    return request;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FeedbackRequests> read_feedback_requests(rtp::Bytes compound) {
  const auto view = rtp::RtcpCompoundView::parse(compound);
  if (!view) return std::nullopt;
  FeedbackRequests requests;
  for (const auto& packet : *view) {
    const auto request = request_in(packet);
    if (!request || requests.count == requests.items.size()) {
      ++requests.ignored;
      continue;
    }
    requests.items[requests.count++] = *request;
  }
  return requests;
}

}  // namespace callcast::terminal
