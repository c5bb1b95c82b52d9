#pragma once
// The master's side of RTSP (step 705): ANNOUNCE its tracks, SETUP each of them (interleaved on
// its connection or from UDP ports), RECORD into its group's media.
#include <map>
#include <string>
#include <vector>

#include "media/rtsp_authorizer.hpp"
#include "media/track_relay.hpp"
#include "rtsp/transport_header.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

class PublisherSession;

class RtspPublishing {
 public:
  explicit RtspPublishing(ServerContext& context) : ctx_(context), auth_(context) {}

  void announce(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  // Whether `c` announced and is about to set up its publishing session.
  bool announced_on(const RtspConnection& c) const;
  // SETUP of one track: `session` is null for the first one (the session is created then).
  void setup(RtspConnection& c, PublisherSession* session, const Authorized& auth,
             const rtsp::TransportSpec& spec, RtspReply& reply);
  void record(PublisherSession& s, RtspReply& reply);
  // The connection is gone, resp. the group: what it announced is forgotten.
  void forget_connection(std::uint64_t connection_id) { pending_.erase(connection_id); }
  void forget_group(const std::string& group);

 private:
  struct PendingAnnounce {
    std::string group;
    std::string terminal;
    sdp::SessionDescription sdp;
    std::vector<TrackDescription> tracks;
  };
  // The group's master announces on `c` while an older connection of its still publishes: that
  // one is closed. False when there is none to replace.
  bool take_over_publisher(RtspConnection& c, const std::string& group);
  void setup_track(RtspConnection& c, PublisherSession& s, std::size_t track,
                   const rtsp::TransportSpec& spec, RtspReply& reply);

  ServerContext& ctx_;
  RtspAuthorizer auth_;
  std::map<std::uint64_t, PendingAnnounce> pending_;  // by connection
};

}  // namespace callcast::media
