#pragma once
// The codecs of a group's stream as the media side relays them, which is what a phone watching
// the group is answered against (viewer_answer) and what a phone broadcasting to 777 sets up
// (broadcaster_answer). Audio is what callcast's terminal and RTSP publishers send (AAC as
// MPEG4-GENERIC, RFC 3640, or MP4A-LATM, RFC 6416; Opus, RFC 7587) or what a phone sends (Opus,
// G.711, G.722).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sipwire/h264_profile_level_id.hpp"
#include "sipwire/phone_offer.hpp"

namespace callcast::sip {

enum class AudioCodec { aac_mpeg4_generic, aac_latm, opus, g722, pcmu, pcma };

std::string_view encoding_name(AudioCodec codec);  // the rtpmap name: "MPEG4-GENERIC", "opus" ...
// The codec an offered format is, when it is one of ours at the clock rate (and for Opus the
// channel count) its RTP payload format fixes: opus/48000/2, G722/8000, PCMU/8000, PCMA/8000;
// AAC at any rate.
std::optional<AudioCodec> audio_codec_of(const OfferedFormat& format);

struct GroupVideo {
  H264ProfileLevelId profile_level_id;
  int packetization_mode = 1;      // the relay forwards FU-A fragments as they came: mode 1
  std::uint8_t payload_type = 96;  // of the group's stream, rewritten per distinct phone type
  std::string fmtp;                // as the source wrote it (sprop-parameter-sets ...)
};

struct GroupAudio {
  AudioCodec codec = AudioCodec::opus;
  std::uint32_t clock_rate = 48000;  // RTP clock: 48000 Opus, 8000 G.711 and G.722, AAC's rate
  unsigned channels = 2;
  std::uint8_t payload_type = 97;
  std::string fmtp;  // AAC's config=..., Opus's sprop-stereo=...
};

struct GroupCodecs {
  std::optional<GroupVideo> video;
  std::optional<GroupAudio> audio;
};

// For Warning texts and logs: "H264 (42e01f, packetization-mode=1)", "opus/48000/2",
// "MPEG4-GENERIC/44100/2", "PCMU/8000".
std::string describe(const GroupVideo& video);
std::string describe(const GroupAudio& audio);
// The same for an offered format: H.264 with its profile-level-id and packetization-mode,
// the others as encoding/clock[/channels] for audio and the name alone for video.
std::string describe(const OfferedFormat& format, MediaKind kind);

}  // namespace callcast::sip
