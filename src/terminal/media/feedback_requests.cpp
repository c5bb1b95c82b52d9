#include "terminal/media/feedback_requests.hpp"

#include <algorithm>

#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/temporary_max_bitrate.hpp"

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
    request.fir_sequence = fir->entries[0].sequence;
    return request;
  }
  request.kind = FeedbackRequest::Kind::bitrate;
  // REMB: the most the server estimates its path takes, for the streams it lists.
  if (const auto remb = rtp::parse_receiver_estimated_max_bitrate(packet)) {
    request.bitrate_cause = BitrateCause::remb;
    request.bitrate_bps = remb->bitrate_bps;
    return request;
  }
  // TMMBR: a limit per stream; the broadcaster's one video stream takes the tightest. A TMMBN
  // only notifies.
  if (const auto tmmbr = rtp::parse_temporary_max_bitrate(packet);
      tmmbr && !tmmbr->notification && tmmbr->item_count > 0) {
    request.bitrate_cause = BitrateCause::tmmbr;
    const auto items = std::span(tmmbr->items).first(tmmbr->item_count);
    request.bitrate_bps =
        std::min_element(items.begin(), items.end(), [](const auto& a, const auto& b) {
          return a.bitrate_bps < b.bitrate_bps;
        })->bitrate_bps;
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
