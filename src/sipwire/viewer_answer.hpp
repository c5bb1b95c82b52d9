#pragma once
// The answer to a phone that calls a broadcaster's number to watch (steps 710-713 without
// RTSP): the server only sends, so every accepted line is a=sendonly (an offered sendonly or
// inactive line is answered inactive), and the stream is the group's as it is relayed.
//
// Video: the first H.264 payload type of the offer (preferring one whose level reaches the
// group's) that
//   - can carry the relayed packets: packetization-mode 1, or 0 when the group's source itself
//     sends single NAL units (mode 0); mode-0 phones cannot take FU-A fragments;
//   - names a profile whose decoder decodes the group's (H264ProfileLevelId::profile_decodes).
// The answer keeps the phone's payload type and profile (RFC 6184 §8.2.2: the configuration is
// kept, only the level part may change). Its level is the group's when that is at most the
// phone's. When the group's level is above, the answer says the phone's own level, because
// §8.2.2 never lets an answer raise the level of the answerer-to-offerer direction (with
// level-asymmetry-allowed that direction takes "the highest level the offerer supports for
// receiving", which is the offer's level; without it the answer's level must not exceed the
// offer's); the stream is sent anyway and the plan says level_exceeds_phone with a note, because
// the only alternative is no picture at all, while decoders mostly cope.
// RTCP feedback: of nack, nack pli, ccm fir those the offer has for that type (own or "*").
//
// Audio: the group's codec when the phone offers it (no transcoding); otherwise the first of the
// phone's formats, in its order, among opus/48000/2, G722/8000, PCMU/8000, PCMA/8000, with
// transcode_from set to the group's codec; a=ptime:20 for G.711 and G.722. telephone-event is
// not answered (the server sends no DTMF).
//
// Refused (488) when neither video nor audio can be answered; a phone whose video cannot take the
// group's gets audio and a note saying why there is no picture.
#include "core/result.hpp"
#include "sipwire/answer_plan.hpp"
#include "sipwire/group_codecs.hpp"
#include "sipwire/phone_offer.hpp"

namespace callcast::sip {

Result<AnswerPlan, Refusal> plan_viewer_answer(const PhoneOffer& offer, const GroupCodecs& group,
                                               const ServerMedia& server);

}  // namespace callcast::sip
