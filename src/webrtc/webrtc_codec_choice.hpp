#pragma once
// Which offered codec the server uses on a browser's m= line. The server relays what the
// broadcaster sends and transcodes nothing on video, so for a WHEP viewer the question is
// whether the browser decodes the group's H.264 as it is; for a WHIP broadcaster it is which
// H.264 the other viewers (phones, terminals, browsers) can decode.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "webrtc/webrtc_offer.hpp"

namespace callcast::webrtc {

struct ChosenCodec {
  std::uint8_t payload_type = 0;
  std::optional<std::uint8_t> rtx_payload_type;
  std::string encoding;  // as offered
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::string fmtp;  // what to write in the answer
  // The offered feedback the server implements: of "nack", "nack pli", "ccm fir", "goog-remb".
  std::vector<std::string> feedback;
};

// For a WHEP viewer: the offered H.264 format that decodes the group's stream
// (`stream_profile_level_id`, six hex digits such as "42e01f"), nullopt when none does (the
// caller refuses, or transcodes). Requires packetization-mode=1 (the relay sends FU-A). An offered
// profile fits when it is the stream's profile, or is Baseline, Main or Extended and the stream
// obeys it by profile_idc or constraint_set flag (a Constrained Baseline stream fits a Main
// decoder). Levels are not compared: browsers offer level-asymmetry-allowed=1 and decode above
// their offered level. Prefers the stream's exact profile, then a format with rtx, then offer
// order. The fmtp written is the offered profile-level-id with packetization-mode=1.
std::optional<ChosenCodec> choose_h264(const OfferedMedia& media,
                                       std::string_view stream_profile_level_id);

// For a WHIP broadcaster: the H.264 format to receive. Any profile relays, but phones and
// browsers decode Constrained Baseline, Baseline and Main, so prefer them in that order (42e01f
// first), then a format with rtx, then offer order. packetization-mode=1 required.
std::optional<ChosenCodec> choose_h264_for_ingest(const OfferedMedia& media);

// The first of `preferred` (encoding names, case-insensitive, e.g. {"opus", "G722", "PCMU",
// "PCMA"}) that the line offers, with its fmtp as offered; nullopt when none is offered.
std::optional<ChosenCodec> choose_audio(const OfferedMedia& media,
                                        std::span<const std::string_view> preferred);

}  // namespace callcast::webrtc
