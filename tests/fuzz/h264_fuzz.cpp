// Fuzzes the H.264 payload inspector, the sprop-parameter-sets decoder and the STAP-A writer.
// Invariants: decoded base64 re-encodes to its input, and any STAP-A written from valid units
// is accepted by the inspector with the flags those units imply.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/h264.hpp"

using namespace callcast::rtp;

namespace {

// The fuzz harness' own encoder, written the obvious way, to check the decoder against.
std::string encode_base64(const std::vector<std::uint8_t>& bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    std::uint32_t group = std::uint32_t{bytes[i]} << 16;
    if (n > 1) group |= std::uint32_t{bytes[i + 1]} << 8;
    if (n > 2) group |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

// Every accepted entry must be exactly the canonical encoding of what it decoded to, with or
// without its '=' padding: the decoder accepts one spelling per byte string and no more.
void check_sprop(std::string_view text) {
  const auto sets = decode_sprop_parameter_sets(text);
  if (!sets) return;
  std::size_t entries = 0;
  std::string_view rest = text;
  for (const auto& set : *sets) {
    if (set.empty()) __builtin_trap();
    const std::size_t comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    const std::string padded = encode_base64(set);
    const std::string_view unpadded = std::string_view(padded).substr(0, padded.find('='));
    if (entry != padded && entry != unpadded) __builtin_trap();
    ++entries;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (entries != static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1) {
    __builtin_trap();
  }
}

// Splits the input into NAL units (first byte of each: its length) and checks the writer and
// the inspector agree on them.
void check_stap_a_round_trip(const std::uint8_t* data, std::size_t size) {
  std::vector<std::vector<std::uint8_t>> units;
  bool expect_valid = true;
  H264PayloadInfo expected;
  std::size_t offset = 0;
  while (offset < size) {
    const std::size_t length = data[offset++];
    const std::size_t take = length < size - offset ? length : size - offset;
    units.emplace_back(data + offset, data + offset + take);
    offset += take;
    if (take == 0) {
      expect_valid = false;
      continue;
    }
    const auto type = static_cast<std::uint8_t>(data[offset - take] & 0x1f);
    if ((data[offset - take] & 0x80) != 0 || type == 0 || type > 23) expect_valid = false;
    if (units.size() == 1) expected.first_nal_type = type;
    expected.has_sps = expected.has_sps || type == kNalSps;
    expected.has_pps = expected.has_pps || type == kNalPps;
    expected.has_idr = expected.has_idr || type == kNalIdr;
  }

  bool has_empty = units.empty();
  std::size_t needed = 1;
  for (const auto& unit : units) {
    has_empty = has_empty || unit.empty();
    needed += 2 + unit.size();
  }
  std::vector<std::uint8_t> out(needed);
  if (write_stap_a(std::span(out).first(needed - 1), units) != 0) __builtin_trap();
  const std::size_t written = write_stap_a(out, units);
  if (written != (has_empty ? 0 : needed)) __builtin_trap();
  if (written == 0) return;

  const auto info = inspect_h264_payload(Bytes(out.data(), written));
  if (info.has_value() != expect_valid) __builtin_trap();
  if (!info) return;
  if (info->first_nal_type != expected.first_nal_type || info->has_sps != expected.has_sps ||
      info->has_pps != expected.has_pps || info->has_idr != expected.has_idr || info->is_fragment) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto info = inspect_h264_payload(Bytes(data, size));
  if (info) {
    if (size == 0 || (data[0] & 0x80) != 0) __builtin_trap();
    if (info->first_nal_type == 0 || info->first_nal_type > 23) __builtin_trap();
    if (info->is_fragment != ((data[0] & 0x1f) == kNalFuA)) __builtin_trap();
    if (!info->is_fragment && (info->fragment_start || info->fragment_end)) __builtin_trap();
    if (info->fragment_start && info->fragment_end) __builtin_trap();
  }

  check_sprop(std::string_view(reinterpret_cast<const char*>(data), size));
  check_stap_a_round_trip(data, size);
  return 0;
}
