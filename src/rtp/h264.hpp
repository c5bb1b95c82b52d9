#pragma once
// What the relay needs to know about an H.264 RTP payload (RFC 6184): which NAL unit types it
// carries, looking inside STAP-A aggregates and at the start of FU-A fragments.
//
//  NAL header: +-+-+-+-+-+-+-+-+      FU header: +-+-+-+-+-+-+-+-+
//              |F|NRI|  Type   |                 |S|E|R|  Type   |
//              +-+-+-+-+-+-+-+-+                 +-+-+-+-+-+-+-+-+
#include <cstdint>
#include <functional>
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

// The type of a NAL unit (the low five bits of its header); 0 (undefined) for an empty unit.
constexpr std::uint8_t nal_unit_type(Bytes nal) {
  return nal.empty() ? 0 : static_cast<std::uint8_t>(nal[0] & 0x1f);
}

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

// Receives one payload written by the packetizers below; the bytes are valid during the call only
// (the next payload overwrites them).
using PayloadSink = std::function<void(Bytes payload)>;

// RFC 6184 §5.8 FU-A: a NAL unit larger than a packet travels in fragments
//
//   +---------------+---------------+--------------------------------+
//   | FU indicator  |  FU header    | FU payload: the unit's bytes   |
//   |F|NRI| Type=28 |S|E|R| Type    | after its header, in order     |
//   +---------------+---------------+--------------------------------+
//
// The unit's header is not sent: its F and NRI go in the indicator, its type in the FU header. S
// marks the first fragment, E the last. Each fragment is written into `buffer`, whose size is the
// largest payload, and handed to `sink`. A unit that fits in one fragment is not fragmented
// (§5.8: S and E must never both be set; send it as a single NAL unit packet instead). Returns
// the number of fragments; 0, and nothing written, when `buffer` has fewer than 3 bytes, `nal`
// has no byte after its header, or it fits in one fragment.
std::size_t write_fu_a(Bytes nal, MutableBytes buffer, const PayloadSink& sink);

// The payloads of one NAL unit in packetization-mode 1 (RFC 6184 §6.3): the unit itself as a
// single NAL unit packet (§5.6) when it fits in `buffer.size()` bytes, else FU-A fragments cut to
// that size. Returns the number of payloads; 0 for an empty unit or a buffer under 3 bytes.
std::size_t packetize_h264_nal(Bytes nal, MutableBytes buffer, const PayloadSink& sink);

}  // namespace callcast::rtp
