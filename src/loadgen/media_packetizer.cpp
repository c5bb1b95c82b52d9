#include "loadgen/media_packetizer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "rtp/byte_io.hpp"
#include "rtp/h264.hpp"

namespace callcast::loadgen {
namespace {

constexpr std::size_t kRtpHeader = 12;

ByteVector rtp_packet(std::uint8_t payload_type, bool marker, std::uint32_t ssrc,
                      std::span<const std::uint8_t> payload) {
  ByteVector packet(kRtpHeader + payload.size());
  packet[0] = 0x80;  // V=2, no padding, no extension, no CSRC
  packet[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7f));
  rtp::write_u32(&packet[8], ssrc);
  std::memcpy(packet.data() + kRtpHeader, payload.data(), payload.size());
  return packet;
}

}  // namespace

std::vector<ByteVector> h264_payloads(const H264AccessUnit& unit, std::size_t max_payload) {
  assert(max_payload > 2);
  std::vector<ByteVector> payloads;
  ByteVector buffer(max_payload);
  for (const auto& nal : unit.nal_units) {
    rtp::packetize_h264_nal(nal, buffer, [&payloads](rtp::Bytes payload) {
      payloads.emplace_back(payload.begin(), payload.end());
    });
  }
  return payloads;
}

ByteVector aac_hbr_payload(std::span<const std::uint8_t> frame) {
  assert(frame.size() < (1u << 13));
  ByteVector payload(4 + frame.size());
  rtp::write_u16(&payload[0], 16);  // bits of AU-headers: one header of 13 + 3 bits
  rtp::write_u16(&payload[2], static_cast<std::uint16_t>(frame.size() << 3));
  std::memcpy(payload.data() + 4, frame.data(), frame.size());
  return payload;
}

double PacketizedClip::packets_per_second() const {
  if (loop_ns <= 0) return 0;
  return static_cast<double>(packets.size()) * 1e9 / static_cast<double>(loop_ns);
}

std::size_t PacketizedClip::write(std::uint64_t index, std::span<std::uint8_t> out) const {
  const ClipPacket& packet = at(index);
  const std::uint64_t loop = index / packets.size();
  assert(out.size() >= packet.rtp.size());
  std::memcpy(out.data(), packet.rtp.data(), packet.rtp.size());
  const bool video = packet.kind == MediaKind::video;
  const std::uint64_t per_loop = video ? video_packets : audio_packets;
  const std::uint64_t ticks = video ? video_loop_ticks : audio_loop_ticks;
  // Sequence numbers and timestamps wrap modulo 2^16 and 2^32 as RFC 3550 intends.
  const auto sequence =
      static_cast<std::uint16_t>(settings.first_sequence + loop * per_loop + packet.track_ordinal);
  const auto timestamp =
      static_cast<std::uint32_t>(settings.first_timestamp + loop * ticks + packet.clip_timestamp);
  rtp::write_u16(&out[2], sequence);
  rtp::write_u32(&out[4], timestamp);
  return packet.rtp.size();
}

std::int64_t PacketizedClip::send_offset_ns(std::uint64_t index) const {
  const auto loop = static_cast<std::int64_t>(index / packets.size());
  return loop * loop_ns + at(index).send_offset_ns;
}

PacketizedClip packetize_clip(const MediaClip& clip, const RtpSettings& settings) {
  PacketizedClip out;
  out.settings = settings;
  const std::uint32_t frame_ticks = 90000 / clip.frame_rate;
  out.video_loop_ticks = static_cast<std::uint32_t>(clip.video.size()) * frame_ticks;
  out.loop_ns = static_cast<std::int64_t>(clip.video.size()) * 1'000'000'000 / clip.frame_rate;

  std::vector<ClipPacket> video;
  for (std::size_t f = 0; f < clip.video.size(); ++f) {
    auto payloads = h264_payloads(clip.video[f], settings.max_payload);
    for (std::size_t p = 0; p < payloads.size(); ++p) {
      ClipPacket packet;
      packet.kind = MediaKind::video;
      packet.clip_timestamp = static_cast<std::uint32_t>(f) * frame_ticks;
      packet.send_offset_ns = static_cast<std::int64_t>(f) * 1'000'000'000 / clip.frame_rate;
      packet.rtp = rtp_packet(settings.video_payload_type, p + 1 == payloads.size(),
                              settings.video_ssrc, payloads[p]);
      video.push_back(std::move(packet));
    }
  }
  std::vector<ClipPacket> audio;
  const std::uint64_t samples_in_loop =
      static_cast<std::uint64_t>(out.loop_ns) * clip.sample_rate / 1'000'000'000;
  const std::size_t audio_frames =
      std::min<std::size_t>(clip.audio_frames.size(), samples_in_loop / 1024);
  out.audio_loop_ticks = static_cast<std::uint32_t>(audio_frames * 1024);
  for (std::size_t a = 0; a < audio_frames; ++a) {
    ClipPacket packet;
    packet.kind = MediaKind::audio;
    packet.clip_timestamp = static_cast<std::uint32_t>(a * 1024);
    packet.send_offset_ns =
        static_cast<std::int64_t>(a * 1024 * 1'000'000'000ULL / clip.sample_rate);
    packet.rtp = rtp_packet(settings.audio_payload_type, true, settings.audio_ssrc,
                            aac_hbr_payload(clip.audio_frames[a]));
    audio.push_back(std::move(packet));
  }
  out.video_packets = static_cast<std::uint32_t>(video.size());
  out.audio_packets = static_cast<std::uint32_t>(audio.size());
  for (std::size_t i = 0; i < video.size(); ++i)
    video[i].track_ordinal = static_cast<std::uint32_t>(i);
  for (std::size_t i = 0; i < audio.size(); ++i)
    audio[i].track_ordinal = static_cast<std::uint32_t>(i);
  // Merge by send time; stable, video first at equal times.
  std::size_t v = 0;
  std::size_t a = 0;
  while (v < video.size() || a < audio.size()) {
    const bool take_video = a == audio.size() || (v < video.size() && video[v].send_offset_ns <=
                                                                          audio[a].send_offset_ns);
    out.packets.push_back(std::move(take_video ? video[v++] : audio[a++]));
    out.bytes += out.packets.back().rtp.size();
  }
  return out;
}

}  // namespace callcast::loadgen
