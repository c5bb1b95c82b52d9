#pragma once
// The values of the terminal's flags that need more than CLI11's checks: sizes, bitrates and
// the server address. Pure, so each form is tested.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::terminal {

struct FrameSize {
  int width = 0;
  int height = 0;
};

// "1280x720": both even (H.264 4:2:0), 16..4096.
Result<FrameSize, std::string> parse_frame_size(std::string_view text);
// "2M", "2.5M", "800k", "800K", "2000000" (bit/s) -> kbit/s, 50 kbit/s .. 100 Mbit/s.
Result<int, std::string> parse_bitrate_kbps(std::string_view text);

struct ServerAddress {
  std::string host;
  std::uint16_t port = 5060;
  std::string host_port() const;  // "host:port", IPv6 in brackets
};
// "127.0.0.1", "127.0.0.1:5070", "[::1]:5070", "localhost"; the port defaults to 5060.
Result<ServerAddress, std::string> parse_server(std::string_view text);
// --bind: "192.0.2.10", "192.0.2.10:5070", "::1", "[::1]", "[::1]:5070"; the port defaults to 0
// (the OS picks one). Only the form is checked here; local_address.hpp checks it is local.
struct BindAddress {
  std::string host;
  std::uint16_t port = 0;
};
Result<BindAddress, std::string> parse_bind(std::string_view text);
// The Ut interface on the same host at the HTTP default port (DESIGN.md §5: 8080).
std::string default_ut_url(const ServerAddress& server);

}  // namespace callcast::terminal
