#pragma once
// The `config=` value of an SDP fmtp line (RFC 3640 §4.1 for MPEG4-GENERIC, RFC 6416 §7.3 for
// MP4A-LATM): the configuration's bytes as hexadecimal digits, two per byte, either case.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callcast::transcode {

// At most this many bytes: an AudioSpecificConfig or StreamMuxConfig for one program is a few
// bytes; anything longer is not one we can use.
inline constexpr std::size_t kMaxConfigBytes = 64;

Result<std::vector<std::uint8_t>, std::string> decode_config_hex(std::string_view hex);

}  // namespace callcast::transcode
