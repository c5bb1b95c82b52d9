#pragma once
// The clip as RTP packets, made once before a run: H.264 per RFC 6184 (packetization-mode=1:
// single NAL unit packets, FU-A for larger NAL units) and AAC per RFC 3640 (mode AAC-hbr, one
// access unit per packet). The replay then only copies a packet and stamps its sequence number
// and timestamp, so that looping the clip gives continuous sequence numbers and timestamps.
//
// RTP fixed header (RFC 3550 §5.1):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//   |                           timestamp                           |
//   |           synchronization source (SSRC) identifier            |
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "loadgen/media_clip.hpp"

namespace callcast::loadgen {

enum class MediaKind : std::uint8_t { video = 0, audio = 1 };

struct RtpSettings {
  std::size_t max_payload = 1200;  // RTP payload bytes at most (FU-A fragments are cut to fit)
  std::uint8_t video_payload_type = 96;
  std::uint8_t audio_payload_type = 97;
  std::uint32_t video_ssrc = 0x5ca1ab1e;
  std::uint32_t audio_ssrc = 0x0dd5a0c0;
  std::uint16_t first_sequence = 1000;  // both tracks
  std::uint32_t first_timestamp = 90000;
};

// RFC 6184 payloads of one access unit, in order (rtp::packetize_h264_nal): a NAL unit that fits
// in `max_payload` is sent as is (single NAL unit packet, §5.6); a larger one as FU-A fragments
// (§5.8)
//
//   FU indicator: F|NRI|type=28     FU header: S|E|R|type of the NAL unit
//
// of max_payload - 2 bytes of NAL payload each, the last one shorter. The last payload of the
// access unit carries the RTP marker bit.
std::vector<ByteVector> h264_payloads(const H264AccessUnit& unit, std::size_t max_payload);

// RFC 3640 §3.2 AAC-hbr payload of one AAC frame: AU-headers-length (16 bits, = 16), one
// AU-header (AU-size 13 bits, AU-Index 3 bits = 0), then the frame.
ByteVector aac_hbr_payload(std::span<const std::uint8_t> frame);

struct ClipPacket {
  MediaKind kind = MediaKind::video;
  std::uint32_t clip_timestamp = 0;  // media time from the clip's start, in the track's clock
  std::int64_t send_offset_ns = 0;   // when to send it, from the start of the clip's loop
  std::uint32_t track_ordinal = 0;   // its position among the packets of its track in the loop
  ByteVector rtp;                    // header (sequence number and timestamp still 0) + payload
};

// All packets of one loop of the clip in send order (by media time; video before audio at the
// same instant).
struct PacketizedClip {
  std::vector<ClipPacket> packets;
  std::int64_t loop_ns = 0;            // the wall-clock length of one loop (the video's length)
  std::uint32_t video_loop_ticks = 0;  // 90 kHz ticks per loop
  std::uint32_t audio_loop_ticks = 0;  // sample-rate ticks per loop
  std::uint32_t video_packets = 0;     // per loop
  std::uint32_t audio_packets = 0;     // per loop
  std::uint64_t bytes = 0;             // RTP bytes per loop
  RtpSettings settings;

  double packets_per_second() const;
  // Packet `index` of the endless replay (loop = index / packets.size()) into `out` (at least
  // the packet's size): sequence number and timestamp continue across loops. Returns its size.
  std::size_t write(std::uint64_t index, std::span<std::uint8_t> out) const;
  // When packet `index` is due, from the start of the replay.
  std::int64_t send_offset_ns(std::uint64_t index) const;
  const ClipPacket& at(std::uint64_t index) const { return packets[index % packets.size()]; }
};

// Packetizes the whole clip. The audio is cut to the video's length (whole AAC frames) so that
// both tracks loop together.
PacketizedClip packetize_clip(const MediaClip& clip, const RtpSettings& settings);

}  // namespace callcast::loadgen
