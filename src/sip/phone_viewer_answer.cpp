#include "sip/phone_viewer_answer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "sipwire/h264_profile_level_id.hpp"

namespace callcast::sip {
namespace {

bool same_encoding(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<GroupVideo> video_of(const control::TrackFormat& track) {
  if (!same_encoding(track.encoding, "H264")) {
    spdlog::info("sip: event=group_video_not_h264 encoding={}", track.encoding);
    return std::nullopt;
  }
  auto profile_level_id = H264ProfileLevelId::from_fmtp(track.fmtp);
  const auto mode = packetization_mode_from_fmtp(track.fmtp);
  // Mode 2 (interleaved) is not what the relay forwards to a phone (viewer_answer.hpp).
  if (!profile_level_id || !mode || *mode > 1) {
    spdlog::warn("sip: event=group_video_unusable fmtp=\"{}\" reason=\"{}\"", track.fmtp,
                 profile_level_id ? "packetization-mode is not 0 or 1" : profile_level_id.error());
    return std::nullopt;
  }
  GroupVideo video;
  video.profile_level_id = *profile_level_id;
  video.packetization_mode = *mode;
  video.payload_type = track.payload_type;
  video.fmtp = track.fmtp;
  return video;
}

std::optional<GroupAudio> audio_of(const control::TrackFormat& track) {
  OfferedFormat format;
  format.payload_type = track.payload_type;
  format.encoding = track.encoding;
  format.clock_rate = track.clock_rate;
  // Not said: Opus is always written /2 (RFC 7587 §7), the others have one channel (RFC 4566).
  format.channels =
      track.channels != 0 ? track.channels : (same_encoding(track.encoding, "opus") ? 2 : 1);
  format.fmtp = track.fmtp;
  const auto codec = audio_codec_of(format);
  if (!codec) {
    spdlog::info("sip: event=group_audio_unusable encoding={}/{}/{}", track.encoding,
                 track.clock_rate, track.channels);
    return std::nullopt;
  }
  GroupAudio audio;
  audio.codec = *codec;
  audio.clock_rate = format.clock_rate;
  audio.channels = format.channels;
  audio.payload_type = track.payload_type;
  audio.fmtp = track.fmtp;
  return audio;
}

control::PhoneTrackRoute route(std::string media, const PhoneEndpoint& phone,
                               std::uint8_t payload_type) {
  control::PhoneTrackRoute route;
  route.media = std::move(media);
  route.host = phone.address.address;
  route.rtp_port = phone.rtp_port;
  route.rtcp_port = phone.rtcp_port;
  route.payload_type = payload_type;
  return route;
}

}  // namespace

GroupCodecs group_codecs_of(const std::vector<control::TrackFormat>& tracks) {
  GroupCodecs group;
  bool video_seen = false;
  bool audio_seen = false;
  // The media side sends a phone the group's first track of each kind (PhoneTrackRoute).
  for (const auto& track : tracks) {
    if (track.media == "video" && !video_seen) {
      video_seen = true;
      group.video = video_of(track);
    } else if (track.media == "audio" && !audio_seen) {
      audio_seen = true;
      group.audio = audio_of(track);
    }
  }
  return group;
}

ServerMedia server_media_at(const std::string& rtp_host, std::uint16_t rtp_port) {
  ServerMedia server;
  server.address.ipv6 = rtp_host.find(':') != std::string::npos;
  server.address.address = rtp_host;
  server.audio_port = rtp_port;
  server.video_port = rtp_port;
  // RTCP on the RTP port (RFC 5761) when the phone offers it: the media side tells RTCP from RTP
  // by its packet type. Behind a NAT it is what opens the phone's RTP port for a phone that only
  // receives (its receiver reports leave from there).
  server.rtcp_mux_possible = true;
  return server;
}

ServerMedia server_media_of(const control::ViewerAdmitted& admitted) {
  return server_media_at(admitted.rtp_host, admitted.rtp_port);
}

std::vector<control::PhoneTrackRoute> phone_routes(const AnswerPlan& plan) {
  std::vector<control::PhoneTrackRoute> routes;
  if (plan.video) routes.push_back(route("video", plan.video->phone, plan.video->payload_type));
  if (plan.audio) {
    auto audio = route("audio", plan.audio->phone, plan.audio->payload_type);
    if (plan.audio->transcode_from) {
      audio.transcode_to = std::string(encoding_name(plan.audio->codec));
      audio.channels = static_cast<std::uint8_t>(plan.audio->channels);
    }
    routes.push_back(std::move(audio));
  }
  return routes;
}

std::string phone_answer_sdp(const AnswerPlan& plan, const control::ViewerAdmitted& admitted,
                             std::uint64_t session_id) {
  return phone_answer_sdp(plan, admitted.rtp_host, admitted.rtp_port, admitted.rtcp_port,
                          session_id);
}

std::string phone_answer_sdp(const AnswerPlan& plan, const std::string& rtp_host,
                             std::uint16_t rtp_port, std::uint16_t rtcp_port,
                             std::uint64_t session_id) {
  std::string sdp = serialize_answer(plan, session_id, 1, rtp_host);
  if (rtcp_port == 0 || rtcp_port == rtp_port + 1) return sdp;
  // Lines answered with rtcp-mux have their RTCP on the RTP port: no a=rtcp for them.
  std::size_t line_index = 0;
  // The answer has no media-level c= (serialize_answer writes it once, at session level), so
  // an attribute may follow each accepted m= line at once.
  const std::string rtcp = "a=rtcp:" + std::to_string(rtcp_port) + "\r\n";
  std::string out;
  std::size_t start = 0;
  while (start < sdp.size()) {
    std::size_t end = sdp.find("\r\n", start);
    end = end == std::string::npos ? sdp.size() : end + 2;
    const std::string_view line(sdp.data() + start, end - start);
    out += line;
    if (line.starts_with("m=")) {
      const auto port_start = line.find(' ') + 1;
      const bool muxed = line_index < plan.lines.size() && plan.lines[line_index].rtcp_mux;
      if (line.substr(port_start, 2) != "0 " && !muxed) out += rtcp;
      ++line_index;
    }
    start = end;
  }
  return out;
}

std::string user_notes(const AnswerPlan& plan) {
  std::string text;
  for (const auto& note : plan.notes) {
    if (!note.starts_with("no picture")) continue;
    if (!text.empty()) text += "; ";
    text += note;
  }
  return text;
}

}  // namespace callcast::sip
