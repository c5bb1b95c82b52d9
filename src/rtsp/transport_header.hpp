#pragma once
// The RTSP Transport header (RFC 2326 §12.39):
//   Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record,
//   RTP/AVP;unicast;client_port=5000-5001
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace callcast::rtsp {

enum class LowerTransport { udp, tcp };

struct TransportSpec {
  std::string profile = "RTP/AVP";  // "RTP/AVP" or "RTP/AVPF" (upper-cased)
  LowerTransport lower = LowerTransport::udp;
  bool unicast = true;
  std::optional<std::pair<std::uint16_t, std::uint16_t>> client_port;
  std::optional<std::pair<std::uint16_t, std::uint16_t>> server_port;
  std::optional<std::pair<std::uint8_t, std::uint8_t>> interleaved;
  std::optional<std::string> mode;  // lower-cased and unquoted: "play", "record"
  std::optional<std::uint32_t> ssrc;
  std::optional<std::string> destination;
  std::optional<std::string> source;
  bool operator==(const TransportSpec&) const = default;
};

// Every comma-separated alternative, in order. A port range "a" alone means a-a+1. Unknown
// parameters are ignored (RFC 2326 says so); a malformed known one is an error.
Result<std::vector<TransportSpec>, std::string> parse_transport(std::string_view header);
std::string format_transport(const TransportSpec& spec);

}  // namespace callcast::rtsp
