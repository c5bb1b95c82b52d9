#pragma once
// What the relay needs to know about an H.264 RTP payload (RFC 6184): which NAL unit types it
// carries, looking inside STAP-A aggregates and at the start of FU-A fragments.
//
//  NAL header: +-+-+-+-+-+-+-+-+      FU header: +-+-+-+-+-+-+-+-+
//              |F|NRI|  Type   |                 |S|E|R|  Type   |
//              +-+-+-+-+-+-+-+-+                 +-+-+-+-+-+-+-+-+
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/byte_io.hpp"

namespace callcast::rtp {

enum H264NalType : std::uint8_t {
  kNalSlice = 1,
  kNalIdr = 5,
  kNalSei = 6,
  kNalSps = 7,
  kNalPps = 8,
  kNalAud = 9,
  kNalStapA = 24,
  kNalFuA = 28,
};

struct H264PayloadInfo {
  bool has_sps = false;
  bool has_pps = false;
  bool has_idr = false;      // a whole IDR NAL, or the first fragment of one
  bool is_fragment = false;  // FU-A
  bool fragment_start = false;
  bool fragment_end = false;
  std::uint8_t first_nal_type = 0;  // the type of the (first) NAL unit carried
};

// nullopt for payloads RFC 6184 does not allow (empty, forbidden bit, truncated STAP-A sizes,
// FU-A shorter than 2 bytes, unsupported aggregation types such as MTAP).
std::optional<H264PayloadInfo> inspect_h264_payload(Bytes payload);

// sprop-parameter-sets (RFC 6184 §8.1): comma-separated base64 NAL units. nullopt on bad base64.
std::optional<std::vector<std::vector<std::uint8_t>>> decode_sprop_parameter_sets(
    std::string_view value);

// Writes a STAP-A payload (RFC 6184 §5.7.1) holding `nal_units` into `out`; returns the size, or
// 0 when it does not fit or a unit is empty or longer than 65535 bytes.
std::size_t write_stap_a(MutableBytes out, std::span<const std::vector<std::uint8_t>> nal_units);

}  // namespace callcast::rtp
