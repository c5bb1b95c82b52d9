// Fuzzes the SDP parser (RFC 4566) and the rtpmap/fmtp readers.
// Invariant: a parsed description serialises to text that parses again and serialises to the
// same bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sdp/session_description.hpp"

using namespace callcast::sdp;

namespace {

// A payload type as written in an m= line: 0-127.
std::optional<std::uint8_t> payload_type_of(std::string_view format) {
  if (format.empty() || format.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (const char c : format) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 127) return std::nullopt;
  return static_cast<std::uint8_t>(value);
}

void read_payload_types(const MediaDescription& media) {
  (void)media.attribute("control");
  for (const auto& format : media.formats) {
    const auto payload_type = payload_type_of(format);
    if (!payload_type) continue;
    const auto map = rtpmap_for(media, *payload_type);
    if (map && map->payload_type != *payload_type) __builtin_trap();
    const auto parameters = fmtp_for(media, *payload_type);
    if (parameters) {
      (void)fmtp_parameter(*parameters, "sprop-parameter-sets");
      (void)fmtp_parameter(*parameters, "config");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto description = SessionDescription::parse(input);
  if (!description) return 0;
  for (const auto& media : description->media) {
    read_payload_types(media);
  }

  const auto text = description->serialize();
  SdpLimits roomy;  // CRLF may have grown LF-only input
  roomy.max_bytes = text.size();
  const auto again = SessionDescription::parse(text, roomy);
  if (!again || again->serialize() != text) __builtin_trap();
  return 0;
}
