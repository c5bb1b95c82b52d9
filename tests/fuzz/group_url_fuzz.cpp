// Fuzzes the group URL parser.
// Invariant: a parsed URL, rebuilt by make_group_url for an IPv4, IPv6 and named host, parses
// back to the same group, control and token.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtsp/group_url.hpp"

using namespace callcast::rtsp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto url = parse_group_url(input);
  if (!url) return 0;
  if (url->group.empty()) __builtin_trap();
  for (const std::string_view host : {"127.0.0.1", "::1", "media.example"}) {
    const auto again =
        parse_group_url(make_group_url(host, 8554, url->group, url->token, url->control));
    if (!again || *again != *url) __builtin_trap();
  }
  return 0;
}
