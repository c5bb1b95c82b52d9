#pragma once
// A phone watching a broadcast (issue 13, steps 711-714 without RTSP), between what the media
// side's admit_viewer answered (the group's tracks, its RTP address) and sipwire's offer/answer
// planner (viewer_answer.hpp), and back to what start_phone_viewer needs (one route per accepted
// line). Pure functions: the CallController does the SIP, these the translation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/media_control.hpp"
#include "sipwire/answer_plan.hpp"
#include "sipwire/group_codecs.hpp"
#include "sipwire/phone_offer.hpp"

namespace callcast::sip {

// The group's first video track when it is H.264 the relay can forward to a phone (its
// profile-level-id and packetization-mode 0 or 1 read from its fmtp), and its first audio
// track when it is AAC (MPEG4-GENERIC, MP4A-LATM), Opus, G.722 or G.711. A track that cannot
// be read so is left out (and logged): the planner then answers as if the group lacked it.
GroupCodecs group_codecs_of(const std::vector<control::TrackFormat>& tracks);

// Where the server sends from: audio and video share the group's RTP port (the media side tells
// them apart by SSRC). RTCP is multiplexed on it (RFC 5761) for a phone that offers rtcp-mux.
ServerMedia server_media_of(const control::ViewerAdmitted& admitted);
ServerMedia server_media_at(const std::string& rtp_host, std::uint16_t rtp_port);

// One route per accepted line (video first): the phone's address and ports, its payload type;
// audio the phone takes in another codec than the group's names that codec (`transcode_to`): the
// media side transcodes once per group and target.
std::vector<control::PhoneTrackRoute> phone_routes(const AnswerPlan& plan);

// The answer SDP of the 200. A phone without a=rtcp sends and expects RTCP on RTP port + 1
// (RFC 3550 §11); when the server's RTCP port is another one, each accepted line says it with
// a=rtcp (RFC 3605).
std::string phone_answer_sdp(const AnswerPlan& plan, const control::ViewerAdmitted& admitted,
                             std::uint64_t session_id);
std::string phone_answer_sdp(const AnswerPlan& plan, const std::string& rtp_host,
                             std::uint16_t rtp_port, std::uint16_t rtcp_port,
                             std::uint64_t session_id);

// The plan's sentences the phone's user should read in the 200's Warning (the missing picture),
// joined with "; "; the others (the level note) are for the log only.
std::string user_notes(const AnswerPlan& plan);

}  // namespace callcast::sip
