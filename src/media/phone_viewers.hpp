#pragma once
// A phone's side of step 714 (issue 13): a viewer negotiated by SIP offer/answer, no RTSP. The
// network side answered the phone's offer; here its media starts to the addresses of that
// offer, under the phone's payload types, through the same fan-out as RTSP viewers (GOP cache
// first), and latches onto where the phone's own RTP/RTCP comes from (RFC 4961), so that a
// phone behind a NAT is reached.
#include "control/media_control.hpp"
#include "core/result.hpp"
#include "media/server_context.hpp"

namespace callcast::media {

class PhoneViewers {
 public:
  explicit PhoneViewers(ServerContext& context) : ctx_(context) {}

  Result<control::PhoneViewerStarted, control::ControlError> start(
      const control::PhoneViewerRequest& request);

 private:
  ServerContext& ctx_;
};

}  // namespace callcast::media
