#include "sipwire/viewer_answer.hpp"

#include <algorithm>

namespace callcast::sip {
namespace {

using answer_rules::rejected;
using answer_rules::unusable;

// The server sends; a phone that only sends, or wants nothing, gets nothing on that line.
MediaDirection viewer_direction(MediaDirection offered) {
  return (offered == MediaDirection::sendrecv || offered == MediaDirection::recvonly)
             ? MediaDirection::sendonly
             : MediaDirection::inactive;
}

bool uses_ptime_20(AudioCodec codec) {
  return codec == AudioCodec::pcmu || codec == AudioCodec::pcma || codec == AudioCodec::g722;
}

// RTP payload packets of a mode-1 stream include FU-A fragments and STAP-A aggregates, which a
// mode-0 receiver must not be sent; a mode-0 stream (single NAL units) is valid in mode 1 too.
bool carries(int phone_mode, int group_mode) {
  if (phone_mode == 1) return group_mode == 0 || group_mode == 1;
  if (phone_mode == 0) return group_mode == 0;
  return false;  // interleaved mode 2 needs DON, which the relay does not write
}

struct VideoChoice {
  const OfferedFormat* format = nullptr;
  H264ProfileLevelId phone;
  int mode = 0;
};

std::optional<VideoChoice> choose_video(const OfferedMedia& media, const GroupVideo& group) {
  std::optional<VideoChoice> first_fit;
  for (const auto& format : media.formats) {
    if (!format.is("H264") || format.clock_rate != 90000) continue;
    const auto mode = packetization_mode_from_fmtp(format.fmtp);
    const auto phone = H264ProfileLevelId::from_fmtp(format.fmtp);
    if (!mode || !phone || !carries(*mode, group.packetization_mode)) continue;
    if (!phone->profile_decodes(group.profile_level_id)) continue;
    VideoChoice choice{&format, *phone, *mode};
    if (phone->level().rank() >= group.profile_level_id.level().rank()) return choice;
    if (!first_fit) first_fit = choice;
  }
  return first_fit;
}

// Group and phone agree on the codec: same codec and, for AAC, the same rate and channels.
bool same_audio(const OfferedFormat& format, const GroupAudio& group) {
  const auto codec = audio_codec_of(format);
  if (codec != group.codec) return false;
  if (group.codec == AudioCodec::aac_mpeg4_generic || group.codec == AudioCodec::aac_latm) {
    return format.clock_rate == group.clock_rate && format.channels == group.channels;
  }
  return true;
}

std::optional<AudioCodec> transcode_target(const OfferedFormat& format) {
  const auto codec = audio_codec_of(format);
  if (codec == AudioCodec::opus || codec == AudioCodec::g722 || codec == AudioCodec::pcmu ||
      codec == AudioCodec::pcma) {
    return codec;
  }
  return std::nullopt;
}

class ViewerPlanner {
 public:
  ViewerPlanner(const PhoneOffer& offer, const GroupCodecs& group, const ServerMedia& server)
      : offer_(offer), group_(group) {
    plan_.server = server;
  }

  Result<AnswerPlan, Refusal> run() {
    for (std::size_t i = 0; i < offer_.media.size(); ++i) {
      plan_.lines.push_back(answer(i, offer_.media[i]));
    }
    if (!plan_.video && !plan_.audio) return refusal();
    if (!plan_.video && !no_picture_.empty()) plan_.notes.push_back(no_picture_);
    return std::move(plan_);
  }

 private:
  AnswerLine answer(std::size_t index, const OfferedMedia& media) {
    if (auto why = unusable(media)) return rejected(media, std::move(*why));
    return media.kind == MediaKind::video ? answer_video(index, media) : answer_audio(index, media);
  }

  AnswerLine accepted(const OfferedMedia& media, AnsweredFormat format, std::uint16_t port) {
    return answer_rules::accepted(media, std::move(format), port, viewer_direction(media.direction),
                                  plan_.server.rtcp_mux_possible);
  }

  AnswerLine answer_video(std::size_t index, const OfferedMedia& media) {
    if (plan_.video) return rejected(media, "one video stream is sent; this is a second");
    if (!group_.video) return rejected(media, "the group has no video");
    const GroupVideo& group = *group_.video;
    const auto choice = choose_video(media, group);
    if (!choice) {
      if (no_picture_.empty()) {
        no_picture_ = "no picture: the group's video is " + describe(group) +
                      " and the phone offers only " +
                      answer_rules::offered_formats(only(media), MediaKind::video);
      }
      return rejected(media, no_picture_);
    }

    const H264Level group_level = group.profile_level_id.level();
    const H264Level phone_level = choice->phone.level();
    const bool exceeds = group_level.rank() > phone_level.rank();
    const H264ProfileLevelId answered =
        choice->phone.with_level(exceeds ? phone_level : group_level);

    AnsweredFormat format;
    format.payload_type = choice->format->payload_type;
    format.encoding = choice->format->encoding;
    format.clock_rate = 90000;
    format.fmtp = "packetization-mode=" + std::to_string(choice->mode) +
                  ";profile-level-id=" + answered.to_string();
    format.feedback = answer_rules::agreed_feedback(*choice->format);

    AnswerLine line = accepted(media, format, plan_.server.video_port);
    VideoPlan video;
    video.line = index;
    video.payload_type = format.payload_type;
    video.packetization_mode = choice->mode;
    video.profile_level_id = answered;
    video.level_exceeds_phone = exceeds;
    video.feedback = answer_rules::feedback_use(format.feedback);
    video.direction = line.direction;
    video.phone = answer_rules::phone_endpoint(media, line.rtcp_mux);
    plan_.video = video;
    if (exceeds) {
      plan_.notes.push_back("the group's video is H264 level " + group_level.name() + " (" +
                            group.profile_level_id.to_string() + "), above the level " +
                            phone_level.name() + " the phone offers (" + choice->phone.to_string() +
                            "); it may not play");
    }
    return line;
  }

  AnswerLine answer_audio(std::size_t index, const OfferedMedia& media) {
    if (plan_.audio) return rejected(media, "one audio stream is sent; this is a second");
    if (!group_.audio) return rejected(media, "the group has no audio");
    const GroupAudio& group = *group_.audio;

    const OfferedFormat* chosen = nullptr;
    std::optional<AudioCodec> transcode_from;
    AudioCodec codec = group.codec;
    for (const auto& format : media.formats) {
      if (same_audio(format, group)) {
        chosen = &format;
        break;
      }
    }
    if (!chosen) {
      for (const auto& format : media.formats) {
        if (const auto target = transcode_target(format)) {
          chosen = &format;
          codec = *target;
          transcode_from = group.codec;
          break;
        }
      }
    }
    if (!chosen) {
      return rejected(media, "no audio codec in common: the group sends " + describe(group) +
                                 ", the phone offers " +
                                 answer_rules::offered_formats(only(media), MediaKind::audio));
    }

    AnsweredFormat format;
    format.payload_type = chosen->payload_type;
    format.encoding = chosen->encoding;
    format.clock_rate = chosen->clock_rate;
    format.channels = chosen->channels;
    // Taken as it is relayed, the answer describes the group's stream (AAC's config, Opus's
    // sprop-stereo); a transcoded stream needs no parameters beyond the defaults.
    if (!transcode_from) format.fmtp = group.fmtp;

    AnswerLine line = accepted(media, format, plan_.server.audio_port);
    if (uses_ptime_20(codec)) line.ptime = 20;
    AudioPlan audio;
    audio.line = index;
    audio.payload_type = format.payload_type;
    audio.codec = codec;
    audio.clock_rate = format.clock_rate;
    audio.channels = format.channels;
    audio.transcode_from = transcode_from;
    audio.direction = line.direction;
    audio.phone = answer_rules::phone_endpoint(media, line.rtcp_mux);
    plan_.audio = audio;
    return line;
  }

  Result<AnswerPlan, Refusal> refusal() const {
    if (auto secure = answer_rules::secure_only(offer_)) return fail(Refusal{488, *secure});
    std::string group;
    if (group_.video) group = describe(*group_.video);
    if (group_.audio) group += (group.empty() ? "" : " and ") + describe(*group_.audio);
    if (group.empty()) group = "nothing";
    return fail(Refusal{488, "no common codec: group sends " + group + "; offer has " +
                                 answer_rules::offered_formats(offer_)});
  }

  // An offer of one media line, for naming what that line offers.
  static PhoneOffer only(const OfferedMedia& media) {
    PhoneOffer single;
    single.media.push_back(media);
    return single;
  }

  const PhoneOffer& offer_;
  const GroupCodecs& group_;
  AnswerPlan plan_;
  std::string no_picture_;
};

}  // namespace

Result<AnswerPlan, Refusal> plan_viewer_answer(const PhoneOffer& offer, const GroupCodecs& group,
                                               const ServerMedia& server) {
  return ViewerPlanner(offer, group, server).run();
}

}  // namespace callcast::sip
