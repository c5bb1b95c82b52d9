#pragma once
// What the publisher's SDP says about its audio track (rtpmap + fmtp), validated and parsed once
// per track: which depacketizer reads it and what the decoder needs (its AudioSpecificConfig).
//
//   a=rtpmap:96 MPEG4-GENERIC/48000/2
//   a=fmtp:96 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1190;sizelength=13;
//             indexlength=3;indexdeltalength=3                          (RFC 3640 §3.3.6)
//   a=rtpmap:96 MP4A-LATM/48000/2
//   a=fmtp:96 cpresent=0;config=40002320                                (RFC 6416 §7.3)
//   a=rtpmap:111 opus/48000/2                                            (RFC 7587 §7)
//
// The media side names these Codec::aac, Codec::aac_latm and Codec::opus (media/track_relay).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "transcode/aac_au_depacketizer.hpp"
#include "transcode/audio_depacketizer.hpp"
#include "transcode/audio_specific_config.hpp"
#include "transcode/stream_mux_config.hpp"

namespace callcast::transcode {

enum class SourceAudioCodec { aac_generic, aac_latm, opus };

struct SourceAudioFormat {
  SourceAudioCodec codec = SourceAudioCodec::opus;
  std::uint32_t clock_rate = 48000;
  std::uint8_t channels = 2;               // as declared; the decoder finds the real layout
  AudioSpecificConfig audio;               // AAC only: the decoder's extradata is audio.bytes
  AuHeaderLayout au_headers;               // aac_generic only
  StreamMuxConfig mux;                     // aac_latm only
  std::uint32_t access_unit_duration = 0;  // RTP ticks per access unit (AAC); 0 for Opus

  // encoding as in rtpmap (case-insensitive), fmtp the parameters after "a=fmtp:<pt> ".
  static Result<SourceAudioFormat, std::string> from_sdp(std::string_view encoding,
                                                         std::uint32_t clock_rate,
                                                         std::optional<unsigned> channels,
                                                         std::string_view fmtp);

  Result<std::unique_ptr<AudioDepacketizer>, std::string> make_depacketizer() const;
};

std::string_view to_string(SourceAudioCodec codec);

}  // namespace callcast::transcode
