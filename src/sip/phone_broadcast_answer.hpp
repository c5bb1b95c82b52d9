#pragma once
// A phone broadcasting (issue 13, steps 701-707 without RTSP): from the group the media side
// created (its RTP address) and sipwire's broadcaster plan (broadcaster_answer.hpp) to the
// recvonly answer of the phone's 200 and the tracks start_phone_publisher receives. Pure
// functions, like phone_viewer_answer.hpp for phones that watch.
#include <cstdint>
#include <string>
#include <vector>

#include "control/media_control.hpp"
#include "sipwire/broadcaster_answer.hpp"

namespace callcast::sip {

// Where the phone sends: the group's media side, audio and video to its one RTP port (told
// apart by the phone's source ports), RTCP to its RTCP port (no rtcp-mux).
ServerMedia server_media_of(const control::GroupCreated& created);

// One track per accepted line the phone sends on (answered recvonly), video first: the format it
// will send (its payload type, the fmtp it offered), where from, and the feedback agreed.
std::vector<control::PhonePublishTrack> phone_publish_tracks(const BroadcasterPlan& plan);

// The answer SDP of the 200 (a=rtcp on each accepted line when RTCP is not on RTP port + 1).
std::string phone_broadcast_answer_sdp(const BroadcasterPlan& plan,
                                       const control::GroupCreated& created,
                                       std::uint64_t session_id);

}  // namespace callcast::sip
