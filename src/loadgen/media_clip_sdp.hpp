#pragma once
// The SDP (RFC 4566) a publisher announces for the clip: H.264 (RFC 6184 §8.1: packetization-mode
// 1, profile-level-id and sprop-parameter-sets from the clip's SPS/PPS) as a=control:trackID=0,
// and MPEG4-GENERIC AAC-hbr (RFC 3640 §4.1, config = the AudioSpecificConfig in hex) as
// trackID=1.
#include <string>

#include "loadgen/media_clip.hpp"
#include "loadgen/media_packetizer.hpp"

namespace callcast::loadgen {

std::string base64(std::span<const std::uint8_t> bytes);
std::string hex(std::span<const std::uint8_t> bytes);

std::string clip_sdp(const MediaClip& clip, const RtpSettings& settings);

}  // namespace callcast::loadgen
