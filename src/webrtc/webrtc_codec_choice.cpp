#include "webrtc/webrtc_codec_choice.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "sdp/session_description.hpp"
#include "sipwire/h264_profile_level_id.hpp"

namespace callcast::webrtc {
namespace {

using sip::H264Profile;
using sip::H264ProfileLevelId;

bool choice_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

// The RTCP feedback the server implements (RFC 4585 NACK and PLI, RFC 5104 FIR, REMB); the
// rest (transport-cc, ...) is not answered, so the browser does not wait for it.
std::vector<std::string> implemented_feedback(const std::vector<std::string>& offered) {
  constexpr std::array<std::string_view, 4> kImplemented{"nack", "nack pli", "ccm fir",
                                                         "goog-remb"};
  std::vector<std::string> kept;
  for (const auto& feedback : offered) {
    if (std::find(kImplemented.begin(), kImplemented.end(), feedback) != kImplemented.end() &&
        std::find(kept.begin(), kept.end(), feedback) == kept.end()) {
      kept.push_back(feedback);
    }
  }
  return kept;
}

ChosenCodec chosen_from(const OfferedCodec& codec, std::string fmtp) {
  return ChosenCodec{codec.payload_type,
                     codec.rtx_payload_type,
                     codec.encoding,
                     codec.clock_rate,
                     codec.channels,
                     std::move(fmtp),
                     implemented_feedback(codec.feedback)};
}

// An offered H.264 format in packetization mode 1 with its profile-level-id, or nullopt.
std::optional<H264ProfileLevelId> fu_a_h264(const OfferedCodec& codec) {
  if (!choice_iequals(codec.encoding, "H264") || codec.clock_rate != 90000) return std::nullopt;
  if (sip::packetization_mode_from_fmtp(codec.fmtp) != 1) return std::nullopt;
  auto profile = H264ProfileLevelId::from_fmtp(codec.fmtp);
  if (!profile) return std::nullopt;
  return *profile;
}

// RFC 6184 §8.2.2: the answer keeps the offer's profile (and, sending only, its level: with
// level-asymmetry-allowed the level we would receive does not matter); packetization-mode=1 is
// the mode the relay sends.
std::string h264_answer_fmtp(const OfferedCodec& codec, const H264ProfileLevelId& offered) {
  std::string fmtp;
  if (sdp::fmtp_parameter(codec.fmtp, "level-asymmetry-allowed") == "1") {
    fmtp = "level-asymmetry-allowed=1;";
  }
  return fmtp + "packetization-mode=1;profile-level-id=" + offered.to_string();
}

// Would a browser that offers `offered` decode `stream` under that payload type? Its own
// profile, or a stream that obeys Baseline, Main or Extended (by profile_idc or constraint_set
// flag) on a line offering that profile. The High family is matched by profile only, as WebRTC
// matches H.264 formats (a High stream is not sent as High 4:4:4 Predictive).
bool browser_decodes(const H264ProfileLevelId& offered, const H264ProfileLevelId& stream) {
  if (offered.profile() == stream.profile()) return true;
  switch (offered.profile()) {
    case H264Profile::baseline:
    case H264Profile::main:
    case H264Profile::extended:
      return offered.profile_decodes(stream);
    default:
      return false;
  }
}

}  // namespace

std::optional<ChosenCodec> choose_h264(const OfferedMedia& media,
                                       std::string_view stream_profile_level_id) {
  if (media.rejected || media.kind != "video") return std::nullopt;
  const auto stream = H264ProfileLevelId::parse(stream_profile_level_id);
  if (!stream) return std::nullopt;
  const OfferedCodec* best = nullptr;
  std::optional<H264ProfileLevelId> best_profile;
  std::tuple<int, int> best_rank{};
  for (const auto& codec : media.codecs) {
    const auto offered = fu_a_h264(codec);
    if (!offered || !browser_decodes(*offered, *stream)) continue;
    const std::tuple<int, int> rank{offered->profile() == stream->profile() ? 0 : 1,
                                    codec.rtx_payload_type ? 0 : 1};
    if (!best || rank < best_rank) {
      best = &codec;
      best_profile = offered;
      best_rank = rank;
    }
  }
  if (!best) return std::nullopt;
  return chosen_from(*best, h264_answer_fmtp(*best, *best_profile));
}

std::optional<ChosenCodec> choose_h264_for_ingest(const OfferedMedia& media) {
  if (media.rejected || media.kind != "video") return std::nullopt;
  const auto tier_of = [](H264Profile profile) {
    switch (profile) {
      case H264Profile::constrained_baseline:
        return 0;
      case H264Profile::baseline:
        return 1;
      case H264Profile::main:
        return 2;
      default:
        return 3;
    }
  };
  const OfferedCodec* best = nullptr;
  std::optional<H264ProfileLevelId> best_profile;
  std::tuple<int, int> best_rank{};
  for (const auto& codec : media.codecs) {
    const auto offered = fu_a_h264(codec);
    if (!offered) continue;
    const std::tuple<int, int> rank{tier_of(offered->profile()), codec.rtx_payload_type ? 0 : 1};
    if (!best || rank < best_rank) {
      best = &codec;
      best_profile = offered;
      best_rank = rank;
    }
  }
  if (!best) return std::nullopt;
  return chosen_from(*best, h264_answer_fmtp(*best, *best_profile));
}

std::optional<ChosenCodec> choose_audio(const OfferedMedia& media,
                                        std::span<const std::string_view> preferred) {
  if (media.rejected || media.kind != "audio") return std::nullopt;
  for (const auto name : preferred) {
    if (const auto* codec = media.codec_named(name)) return chosen_from(*codec, codec->fmtp);
  }
  return std::nullopt;
}

}  // namespace callcast::webrtc
