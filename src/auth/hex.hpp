#pragma once
// Lower-case hex, the encoding of digest hashes (RFC 7616 §3.4.1) and of our nonces.
#include <span>
#include <string>
#include <string_view>

namespace callcast::auth {

std::string to_hex(std::span<const unsigned char> bytes);
// Fills `out` from exactly 2 * out.size() hex digits (either case); false on anything else.
bool from_hex(std::string_view text, std::span<unsigned char> out);
// True when `text` is exactly `digits` hex digits (either case).
bool is_hex(std::string_view text, std::size_t digits);
std::string to_lower_ascii(std::string_view text);

}  // namespace callcast::auth
