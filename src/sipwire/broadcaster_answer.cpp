#include "sipwire/broadcaster_answer.hpp"

#include <array>

namespace callcast::sip {
namespace {

using answer_rules::rejected;
using answer_rules::unusable;

MediaDirection broadcaster_direction(MediaDirection offered) {
  return (offered == MediaDirection::sendrecv || offered == MediaDirection::sendonly)
             ? MediaDirection::recvonly
             : MediaDirection::inactive;
}

constexpr std::array kAudioPreference{AudioCodec::opus, AudioCodec::pcmu, AudioCodec::pcma,
                                      AudioCodec::g722};

struct BroadcastVideoChoice {
  const OfferedFormat* format = nullptr;
  H264ProfileLevelId profile_level_id;
  int mode = 0;
};

std::optional<BroadcastVideoChoice> choose_broadcast_video(const OfferedMedia& media) {
  for (const int wanted : {1, 0}) {
    for (const auto& format : media.formats) {
      if (!format.is("H264") || format.clock_rate != 90000) continue;
      const auto mode = packetization_mode_from_fmtp(format.fmtp);
      const auto profile_level_id = H264ProfileLevelId::from_fmtp(format.fmtp);
      if (mode == wanted && profile_level_id)
        return BroadcastVideoChoice{&format, *profile_level_id, *mode};
    }
  }
  return std::nullopt;
}

class BroadcasterPlanner {
 public:
  BroadcasterPlanner(const PhoneOffer& offer, const ServerMedia& server) : offer_(offer) {
    plan_.answer.server = server;
  }

  Result<BroadcasterPlan, Refusal> run() {
    for (std::size_t i = 0; i < offer_.media.size(); ++i) {
      plan_.answer.lines.push_back(answer(i, offer_.media[i]));
    }
    if (!plan_.group.video && !plan_.group.audio) return refusal();
    return std::move(plan_);
  }

 private:
  AnswerLine answer(std::size_t index, const OfferedMedia& media) {
    if (auto why = unusable(media)) return rejected(media, std::move(*why));
    return media.kind == MediaKind::video ? answer_video(index, media) : answer_audio(index, media);
  }

  AnswerLine accepted(const OfferedMedia& media, AnsweredFormat format, std::uint16_t port) {
    return answer_rules::accepted(media, std::move(format), port,
                                  broadcaster_direction(media.direction),
                                  plan_.answer.server.rtcp_mux_possible);
  }

  AnswerLine answer_video(std::size_t index, const OfferedMedia& media) {
    if (plan_.answer.video) return rejected(media, "one video stream is taken; this is a second");
    const auto choice = choose_broadcast_video(media);
    if (!choice) return rejected(media, "no H264 in packetization-mode 0 or 1");

    AnsweredFormat format;
    format.payload_type = choice->format->payload_type;
    format.encoding = choice->format->encoding;
    format.clock_rate = 90000;
    format.fmtp = "packetization-mode=" + std::to_string(choice->mode) +
                  ";profile-level-id=" + choice->profile_level_id.to_string();
    format.feedback = answer_rules::agreed_feedback(*choice->format);

    AnswerLine line = accepted(media, format, plan_.answer.server.video_port);
    VideoPlan video;
    video.line = index;
    video.payload_type = format.payload_type;
    video.packetization_mode = choice->mode;
    video.profile_level_id = choice->profile_level_id;
    video.feedback = answer_rules::feedback_use(format.feedback);
    video.direction = line.direction;
    video.phone = answer_rules::phone_endpoint(media, line.rtcp_mux);
    plan_.answer.video = video;
    if (line.direction == MediaDirection::recvonly) {
      plan_.group.video = GroupVideo{choice->profile_level_id, choice->mode, format.payload_type,
                                     choice->format->fmtp};
    } else {
      plan_.answer.notes.push_back("the phone's video line is " +
                                   std::string(direction_name(media.direction)) +
                                   ": it will send no picture");
    }
    return line;
  }

  AnswerLine answer_audio(std::size_t index, const OfferedMedia& media) {
    if (plan_.answer.audio) return rejected(media, "one audio stream is taken; this is a second");
    const OfferedFormat* chosen = nullptr;
    AudioCodec codec = AudioCodec::opus;
    for (const auto wanted : kAudioPreference) {
      for (const auto& format : media.formats) {
        if (audio_codec_of(format) == wanted) {
          chosen = &format;
          codec = wanted;
          break;
        }
      }
      if (chosen) break;
    }
    if (!chosen) return rejected(media, "no opus, PCMU, PCMA or G722");

    AnsweredFormat format;
    format.payload_type = chosen->payload_type;
    format.encoding = chosen->encoding;
    format.clock_rate = chosen->clock_rate;
    format.channels = chosen->channels;
    // Opus's parameters (stereo, useinbandfec) are the receiver's wishes: echoing the phone's
    // keeps what it offered to send.
    if (codec == AudioCodec::opus) format.fmtp = chosen->fmtp;

    AnswerLine line = accepted(media, format, plan_.answer.server.audio_port);
    if (codec != AudioCodec::opus) line.ptime = 20;
    AudioPlan audio;
    audio.line = index;
    audio.payload_type = format.payload_type;
    audio.codec = codec;
    audio.clock_rate = format.clock_rate;
    audio.channels = format.channels;
    audio.direction = line.direction;
    audio.phone = answer_rules::phone_endpoint(media, line.rtcp_mux);
    plan_.answer.audio = audio;
    if (line.direction == MediaDirection::recvonly) {
      plan_.group.audio = GroupAudio{codec, chosen->clock_rate, chosen->channels,
                                     chosen->payload_type, chosen->fmtp};
    } else {
      plan_.answer.notes.push_back("the phone's audio line is " +
                                   std::string(direction_name(media.direction)) +
                                   ": it will send no sound");
    }
    return line;
  }

  Result<BroadcasterPlan, Refusal> refusal() const {
    if (auto secure = answer_rules::secure_only(offer_)) return fail(Refusal{488, *secure});
    if (plan_.answer.video || plan_.answer.audio) {
      return fail(Refusal{488,
                          "nothing to broadcast: the phone offers to send no media (its "
                          "lines are recvonly or inactive)"});
    }
    return fail(Refusal{488,
                        "nothing to broadcast: callcast takes H264 video and opus, PCMU, "
                        "PCMA or G722 audio; offer has " +
                            answer_rules::offered_formats(offer_)});
  }

  const PhoneOffer& offer_;
  BroadcasterPlan plan_;
};

}  // namespace

Result<BroadcasterPlan, Refusal> plan_broadcaster_answer(const PhoneOffer& offer,
                                                         const ServerMedia& server) {
  return BroadcasterPlanner(offer, server).run();
}

}  // namespace callcast::sip
