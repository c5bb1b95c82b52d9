#include "rtp/h264.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace callcast::rtp {

namespace {

constexpr std::uint8_t kForbiddenBit = 0x80;
constexpr std::uint8_t kNriMask = 0x60;
constexpr std::uint8_t kTypeMask = 0x1f;
constexpr std::uint8_t kFuStart = 0x80;
constexpr std::uint8_t kFuEnd = 0x40;
constexpr std::size_t kStapASizeField = 2;
constexpr std::size_t kMaxStapAUnit = 0xffff;

// RFC 6184 Table 1: 1-23 are single NAL unit types. 0 and 30-31 are undefined, 24-29 are
// aggregation and fragmentation packets, which may not nest inside each other.
constexpr bool is_single_nal_type(std::uint8_t type) {
  return type >= 1 && type <= 23;
}

void note_nal(H264PayloadInfo& info, std::uint8_t type) {
  if (type == kNalSps) info.has_sps = true;
  if (type == kNalPps) info.has_pps = true;
  if (type == kNalIdr) info.has_idr = true;
}

//  RFC 6184 §5.7.1 STAP-A: the NAL header (type 24), then for each unit a 16-bit size and the
//  unit itself, its own NAL header first.
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |STAP-A NAL HDR |         NALU 1 Size           | NALU 1 HDR    |
//  |                         NALU 1 Data ...       | NALU 2 Size   |
//  |               | NALU 2 HDR    |        NALU 2 Data ...        |
std::optional<H264PayloadInfo> inspect_stap_a(Bytes payload) {
  H264PayloadInfo info;
  std::size_t offset = 1;
  bool first = true;
  while (offset < payload.size()) {
    if (payload.size() - offset < kStapASizeField) return std::nullopt;
    const std::size_t unit_size = read_u16(&payload[offset]);
    offset += kStapASizeField;
    if (unit_size == 0 || unit_size > payload.size() - offset) return std::nullopt;
    const std::uint8_t header = payload[offset];
    const auto type = static_cast<std::uint8_t>(header & kTypeMask);
    if ((header & kForbiddenBit) != 0 || !is_single_nal_type(type)) return std::nullopt;
    if (first) info.first_nal_type = type;
    first = false;
    note_nal(info, type);
    offset += unit_size;
  }
  if (first) return std::nullopt;  // an aggregate of nothing
  return info;
}

//  RFC 6184 §5.8 FU-A: FU indicator (a NAL header with type 28), FU header, fragment.
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | FU indicator  |   FU header   |  FU payload ...
//  |F|NRI|  Type   |S|E|R|  Type   |
std::optional<H264PayloadInfo> inspect_fu_a(Bytes payload) {
  if (payload.size() < 2) return std::nullopt;
  const std::uint8_t fu_header = payload[1];
  const auto type = static_cast<std::uint8_t>(fu_header & kTypeMask);
  if (!is_single_nal_type(type)) return std::nullopt;
  H264PayloadInfo info;
  info.is_fragment = true;
  info.fragment_start = (fu_header & kFuStart) != 0;
  info.fragment_end = (fu_header & kFuEnd) != 0;
  // A NAL unit small enough for one packet must not be sent as a lone fragment (§5.8).
  if (info.fragment_start && info.fragment_end) return std::nullopt;
  info.first_nal_type = type;
  if (info.fragment_start) note_nal(info, type);
  return info;
}

// RFC 4648 §4 alphabet; -1 for every octet outside it.
constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> kBase64Table = make_base64_table();

// Strict RFC 4648 base64: standard alphabet, '=' padding optional but only at the end and only
// to a multiple of four, and the unused low bits of the last symbol zero (RFC 4648 §3.5: a
// sloppy encoder is more likely than a sender meaning those bits). Empty input decodes to
// nothing, which callers reject.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  std::size_t symbols = text.size();
  if (text.size() % 4 == 0) {
    while (symbols > 0 && text.size() - symbols < 2 && text[symbols - 1] == '=')
      --symbols;
  }
  const std::size_t tail = symbols % 4;
  if (tail == 1) return std::nullopt;  // one symbol carries only 6 of a byte's 8 bits

  std::vector<std::uint8_t> out;
  out.reserve(symbols / 4 * 3 + 2);
  std::uint32_t bits = 0;
  std::size_t bit_count = 0;
  for (std::size_t i = 0; i < symbols; ++i) {
    const std::int8_t value = kBase64Table[static_cast<unsigned char>(text[i])];
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<std::uint8_t>(bits >> bit_count));
      bits &= (1U << bit_count) - 1;
    }
  }
  if (bits != 0) return std::nullopt;
  return out;
}

}  // namespace

std::optional<H264PayloadInfo> inspect_h264_payload(Bytes payload) {
  if (payload.empty()) return std::nullopt;
  const std::uint8_t header = payload[0];
  if ((header & kForbiddenBit) != 0) return std::nullopt;
  const auto type = static_cast<std::uint8_t>(header & kTypeMask);
  if (is_single_nal_type(type)) {
    H264PayloadInfo info;
    info.first_nal_type = type;
    note_nal(info, type);
    return info;
  }
  if (type == kNalStapA) return inspect_stap_a(payload);
  if (type == kNalFuA) return inspect_fu_a(payload);
  // STAP-B, MTAP16, MTAP24 and FU-B only exist in interleaved mode, which we never negotiate;
  // 0, 30 and 31 are undefined.
  return std::nullopt;
}

std::optional<std::vector<std::vector<std::uint8_t>>> decode_sprop_parameter_sets(
    std::string_view value) {
  std::vector<std::vector<std::uint8_t>> sets;
  while (true) {
    const std::size_t comma = value.find(',');
    auto decoded = decode_base64(value.substr(0, comma));
    if (!decoded || decoded->empty()) return std::nullopt;
    sets.push_back(std::move(*decoded));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return sets;
}

std::size_t write_stap_a(MutableBytes out, std::span<const std::vector<std::uint8_t>> nal_units) {
  if (nal_units.empty()) return 0;
  std::size_t size = 1;
  std::uint8_t forbidden = 0;
  std::uint8_t nri = 0;
  for (const auto& unit : nal_units) {
    if (unit.empty() || unit.size() > kMaxStapAUnit) return 0;
    size += kStapASizeField + unit.size();
    // §5.7: F is the OR of the units' F bits and NRI the highest of their NRIs, so the
    // aggregate is dropped no sooner than its most important unit.
    forbidden |= static_cast<std::uint8_t>(unit[0] & kForbiddenBit);
    nri = std::max(nri, static_cast<std::uint8_t>(unit[0] & kNriMask));
  }
  if (out.size() < size) return 0;

  std::uint8_t* p = out.data();
  *p++ = static_cast<std::uint8_t>(forbidden | nri | kNalStapA);
  for (const auto& unit : nal_units) {
    write_u16(p, static_cast<std::uint16_t>(unit.size()));
    p = std::copy(unit.begin(), unit.end(), p + kStapASizeField);
  }
  return size;
}

std::size_t write_fu_a(Bytes nal, MutableBytes buffer, const PayloadSink& sink) {
  constexpr std::size_t kFuHeaders = 2;
  if (buffer.size() <= kFuHeaders || nal.size() <= 1) return 0;
  const std::size_t chunk = buffer.size() - kFuHeaders;
  const std::size_t body = nal.size() - 1;  // the unit's bytes after its header
  if (body <= chunk) return 0;
  const std::uint8_t header = nal[0];
  buffer[0] = static_cast<std::uint8_t>((header & (kForbiddenBit | kNriMask)) | kNalFuA);
  std::size_t fragments = 0;
  for (std::size_t at = 1; at < nal.size(); at += chunk) {
    const std::size_t size = std::min(chunk, nal.size() - at);
    buffer[1] = static_cast<std::uint8_t>(
        (at == 1 ? kFuStart : 0) | (at + size == nal.size() ? kFuEnd : 0) | (header & kTypeMask));
    std::copy_n(nal.begin() + static_cast<std::ptrdiff_t>(at), size, buffer.begin() + kFuHeaders);
    sink(Bytes(buffer.data(), kFuHeaders + size));
    ++fragments;
  }
  return fragments;
}

std::size_t packetize_h264_nal(Bytes nal, MutableBytes buffer, const PayloadSink& sink) {
  if (nal.empty() || buffer.size() <= 2) return 0;
  if (nal.size() <= buffer.size()) {
    sink(nal);
    return 1;
  }
  return write_fu_a(nal, buffer, sink);
}

}  // namespace callcast::rtp
