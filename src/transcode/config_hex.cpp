#include "transcode/config_hex.hpp"

namespace callcast::transcode {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::vector<std::uint8_t>, std::string> decode_config_hex(std::string_view hex) {
  if (hex.empty()) return fail("config is empty");
  if (hex.size() % 2 != 0) return fail("config has an odd number of hex digits");
  if (hex.size() / 2 > kMaxConfigBytes) return fail("config is longer than 64 bytes");
  std::vector<std::uint8_t> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) return fail("config has a character that is not a hex digit");
    bytes.push_back(static_cast<std::uint8_t>((high << 4) | low));
  }
  return bytes;
}

}  // namespace callcast::transcode
