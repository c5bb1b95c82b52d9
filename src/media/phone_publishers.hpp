#pragma once
// A phone's side of steps 704-707 (issue 13): a master that called the service number with an
// ordinary audio/video offer, answered recvonly by the network side. Here the group it created is
// fed by the phone's plain RTP/UDP from the answer on: a publisher session without RTSP, whose
// tracks are the answered formats, latched onto where the phone's packets really come from
// (RFC 4961: behind a NAT, not where its SDP said). The group goes live at once (706), so the
// phone's 200 follows; viewers get its first keyframe, and the relay, GOP cache, fan-out, NACK
// repair and keyframe requests serve every kind of viewer from it as from an RTSP publisher.
#include "control/media_control.hpp"
#include "core/result.hpp"
#include "media/server_context.hpp"

namespace callcast::media {

// The tracks of a publisher negotiated by offer/answer (a phone, a browser) as an announced SDP,
// the form every publisher's tracks take on the media side (so that DESCRIBE, the relay and the
// phones' answers read them like an RTSP publisher's). The error names the bad track.
Result<std::string, std::string> announced_sdp(
    const std::string& master, const std::vector<control::PhonePublishTrack>& tracks);

class PhonePublishers {
 public:
  explicit PhonePublishers(ServerContext& context) : ctx_(context) {}

  Result<control::PhonePublisherStarted, control::ControlError> start(
      const control::PhonePublisherRequest& request);

 private:
  ServerContext& ctx_;
};

}  // namespace callcast::media
