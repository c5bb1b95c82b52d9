#pragma once
// A viewer's side of RTSP (step 714): DESCRIBE the group's media, SETUP its tracks (UDP ports or
// interleaved on its connection), PLAY from the GOP cache.
#include "media/rtsp_authorizer.hpp"
#include "rtsp/transport_header.hpp"

namespace callcast::media {

class GroupMedia;
class ViewerSession;

class RtspPlaying {
 public:
  explicit RtspPlaying(ServerContext& context) : ctx_(context), auth_(context) {}

  void describe(const rtsp::RtspRequest& r, RtspReply& reply);
  // SETUP of one track: `session` is null for the first one (the session is created then).
  void setup(RtspConnection& c, ViewerSession* session, const Authorized& auth,
             const rtsp::TransportSpec& spec, RtspReply& reply);
  void play(ViewerSession& s, const Authorized& auth, RtspReply& reply);

 private:
  // The media of the group an admitted viewer may play (403 not admitted, 404 not live yet).
  GroupMedia* playable_media(const Authorized& auth, RtspReply& reply);
  void setup_track(RtspConnection& c, ViewerSession& s, std::size_t track,
                   const rtsp::TransportSpec& spec, RtspReply& reply);

  ServerContext& ctx_;
  RtspAuthorizer auth_;
};

}  // namespace callcast::media
