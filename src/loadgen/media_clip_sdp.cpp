#include "loadgen/media_clip_sdp.hpp"

namespace callcast::loadgen {

std::string base64(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (rest == 2 ? unsigned{bytes[i + 1]} << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::string clip_sdp(const MediaClip& clip, const RtpSettings& settings) {
  const std::string video_pt = std::to_string(settings.video_payload_type);
  const std::string audio_pt = std::to_string(settings.audio_payload_type);
  // profile_idc, constraint flags, level_idc: the three bytes after the SPS's NAL header.
  const std::string profile_level =
      clip.sps.size() >= 4 ? hex(std::span(clip.sps).subspan(1, 3)) : "42e01f";
  std::string sdp;
  sdp += "v=0\r\n";
  sdp += "o=- 0 0 IN IP4 127.0.0.1\r\n";
  sdp += "s=callcast-bench clip\r\n";
  sdp += "c=IN IP4 127.0.0.1\r\n";
  sdp += "t=0 0\r\n";
  sdp += "m=video 0 RTP/AVP " + video_pt + "\r\n";
  sdp += "a=rtpmap:" + video_pt + " H264/90000\r\n";
  sdp += "a=fmtp:" + video_pt + " packetization-mode=1;profile-level-id=" + profile_level +
         ";sprop-parameter-sets=" + base64(clip.sps) + "," + base64(clip.pps) + "\r\n";
  sdp += "a=control:trackID=0\r\n";
  sdp += "m=audio 0 RTP/AVP " + audio_pt + "\r\n";
  sdp += "a=rtpmap:" + audio_pt + " MPEG4-GENERIC/" + std::to_string(clip.sample_rate) + "/" +
         std::to_string(clip.channels) + "\r\n";
  sdp += "a=fmtp:" + audio_pt +
         " streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
         "indexdeltalength=3;config=" +
         hex(clip.audio_specific_config) + "\r\n";
  sdp += "a=control:trackID=1\r\n";
  return sdp;
}

}  // namespace callcast::loadgen
