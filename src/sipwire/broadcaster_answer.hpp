#pragma once
// The answer to a phone that calls the service number to broadcast (steps 701-707 collapsed into
// one answer): the server only receives, so accepted lines are a=recvonly (an offered recvonly or
// inactive line is answered inactive and feeds nothing), and what the phone will send becomes the
// group's codecs, relayed as they are.
//
// Video: the phone's first H.264 type in packetization-mode 1, else its first in mode 0 (both
// are relayed unchanged; interleaved mode 2 is not). The answer keeps its configuration and level
// (RFC 6184 §8.2.2: profile-level-id and packetization-mode used symmetrically).
// RTCP feedback: of nack, nack pli, ccm fir those offered for the type, so the server can ask the
// phone for retransmissions and keyframes (issue 13 §6).
// Audio, in callcast's order (not the phone's): Opus, PCMU, PCMA, G722; a=ptime:20 for G.711 and
// G.722.
// Refused (488) when the phone would send neither H.264 nor one of those audio codecs.
#include "core/result.hpp"
#include "sipwire/answer_plan.hpp"
#include "sipwire/group_codecs.hpp"
#include "sipwire/phone_offer.hpp"

namespace callcast::sip {

struct BroadcasterPlan {
  AnswerPlan answer;
  GroupCodecs group;  // payload types, profile, clock, fmtp of what the phone will send
};

Result<BroadcasterPlan, Refusal> plan_broadcaster_answer(const PhoneOffer& offer,
                                                         const ServerMedia& server);

}  // namespace callcast::sip
