#include "sip/phone_broadcast_answer.hpp"

#include "sip/phone_viewer_answer.hpp"

namespace callcast::sip {

ServerMedia server_media_of(const control::GroupCreated& created) {
  return server_media_at(created.rtp_host, created.rtp_port);
}

std::vector<control::PhonePublishTrack> phone_publish_tracks(const BroadcasterPlan& plan) {
  std::vector<control::PhonePublishTrack> tracks;
  const auto& answer = plan.answer;
  auto base = [](std::string media, const PhoneEndpoint& phone, std::uint8_t payload_type) {
    control::PhonePublishTrack track;
    track.media = std::move(media);
    track.host = phone.address.address;
    track.rtp_port = phone.rtp_port;
    track.rtcp_port = phone.rtcp_port;
    track.payload_type = payload_type;
    return track;
  };
  // The group's codecs hold only what the phone sends (a recvonly answer).
  if (answer.video && plan.group.video) {
    auto video = base("video", answer.video->phone, answer.video->payload_type);
    video.encoding = "H264";
    video.clock_rate = 90000;
    video.fmtp = plan.group.video->fmtp;
    video.nack = answer.video->feedback.nack;
    video.pli = answer.video->feedback.pli;
    video.fir = answer.video->feedback.fir;
    tracks.push_back(std::move(video));
  }
  if (answer.audio && plan.group.audio) {
    const GroupAudio& group = *plan.group.audio;
    auto audio = base("audio", answer.audio->phone, answer.audio->payload_type);
    audio.encoding = std::string(encoding_name(group.codec));
    audio.clock_rate = group.clock_rate;
    audio.channels = group.channels;
    audio.fmtp = group.fmtp;
    tracks.push_back(std::move(audio));
  }
  return tracks;
}

std::string phone_broadcast_answer_sdp(const BroadcasterPlan& plan,
                                       const control::GroupCreated& created,
                                       std::uint64_t session_id) {
  return phone_answer_sdp(plan.answer, created.rtp_host, created.rtp_port, created.rtcp_port,
                          session_id);
}

}  // namespace callcast::sip
