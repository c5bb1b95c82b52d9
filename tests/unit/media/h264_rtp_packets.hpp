#pragma once
// Builders for the publisher's RTP packets in the relay tests: an RFC 3550 fixed header (no CSRC,
// no extension) around an RFC 6184 H.264 payload (single NAL unit, STAP-A or FU-A) or an opaque
// audio payload. Built by hand, independently of the writers under test.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "rtp/byte_io.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::media::test {

using Buffer = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kVideoPt = 96;
inline constexpr std::uint8_t kAudioPt = 97;
inline constexpr std::uint32_t kPublisherSsrc = 0x11223344;

// SPS and PPS of x264 (baseline, level 3.0, 640x480); sprop-parameter-sets
// "Z0LAHtoCgPbARAAAAwAEAAADAMg8WLqA,aM4PyA==" encodes the same two units.
inline const Buffer kSps = {0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xf6, 0xc0, 0x44, 0x00, 0x00,
                            0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x58, 0xba, 0x80};
inline const Buffer kPps = {0x68, 0xce, 0x0f, 0xc8};
inline constexpr const char* kSpropParameterSets = "Z0LAHtoCgPbARAAAAwAEAAADAMg8WLqA,aM4PyA==";
// A second pair (main profile), for telling in-band parameter sets from announced ones.
inline const Buffer kOtherSps = {0x67, 0x4d, 0x40, 0x1f, 0xe8, 0x80};
inline const Buffer kOtherPps = {0x68, 0xeb, 0xe3, 0xcb};

inline const Buffer kIdr = {0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0x12};  // nal_ref_idc 3, type 5
inline const Buffer kSlice = {0x41, 0x9a, 0x02, 0x0c, 0x44};            // nal_ref_idc 2, type 1
inline const Buffer kSei = {0x06, 0x05, 0x02, 0xaa, 0xbb, 0x80};        // type 6
inline const Buffer kAud = {0x09, 0xf0};                                // type 9

// STAP-A (RFC 6184 §5.7.1): header with F 0, NRI the highest of the units', type 24; then
// 16-bit size + unit for each unit.
inline Buffer stap_a(std::initializer_list<Buffer> units) {
  std::uint8_t nri = 0;
  for (const auto& unit : units)
    nri = std::max<std::uint8_t>(nri, unit[0] & 0x60);
  Buffer payload{static_cast<std::uint8_t>(nri | 24)};
  for (const auto& unit : units) {
    payload.push_back(static_cast<std::uint8_t>(unit.size() >> 8));
    payload.push_back(static_cast<std::uint8_t>(unit.size()));
    payload.insert(payload.end(), unit.begin(), unit.end());
  }
  return payload;
}

// One FU-A fragment (RFC 6184 §5.8) of `nal`: the FU indicator keeps the NAL's F/NRI with type
// 28, the FU header carries S/E and the NAL's type; `bytes` is that fragment of the NAL's body.
inline Buffer fu_a(const Buffer& nal, bool start, bool end, Buffer bytes) {
  Buffer payload{
      static_cast<std::uint8_t>((nal[0] & 0xe0) | 28),
      static_cast<std::uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f))};
  payload.insert(payload.end(), bytes.begin(), bytes.end());
  return payload;
}

inline Buffer rtp_packet(std::uint16_t seq, std::uint32_t ts, const Buffer& payload,
                         std::uint8_t pt = kVideoPt, bool marker = false,
                         std::uint32_t ssrc = kPublisherSsrc) {
  Buffer packet(12);
  packet[0] = 0x80;
  packet[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  rtp::write_u16(&packet[2], seq);
  rtp::write_u32(&packet[4], ts);
  rtp::write_u32(&packet[8], ssrc);
  packet.insert(packet.end(), payload.begin(), payload.end());
  return packet;
}

inline rtp::Bytes bytes_of(const Buffer& buffer) {
  return {buffer.data(), buffer.size()};
}

// The NAL unit types an H.264 RTP payload carries: the unit's own type for a single NAL unit,
// each aggregated unit's for STAP-A, the fragmented unit's (with 100 added unless it is the
// start fragment) for FU-A.
inline std::vector<int> nal_types(rtp::Bytes payload) {
  std::vector<int> types;
  const int type = payload[0] & 0x1f;
  if (type == 24) {
    for (std::size_t offset = 1; offset + 2 < payload.size();) {
      const std::size_t size = rtp::read_u16(&payload[offset]);
      types.push_back(payload[offset + 2] & 0x1f);
      offset += 2 + size;
    }
  } else if (type == 28) {
    types.push_back(((payload[1] & 0x80) != 0 ? 0 : 100) + (payload[1] & 0x1f));
  } else {
    types.push_back(type);
  }
  return types;
}

}  // namespace callcast::media::test
