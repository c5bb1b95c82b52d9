// Fuzzes the Transport header parser (RFC 2326 §12.39).
// Invariant: every parsed spec, formatted and parsed again, is one spec equal to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtsp/transport_header.hpp"

using namespace callcast::rtsp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto specs = parse_transport(input);
  if (!specs) return 0;
  if (specs->empty()) __builtin_trap();
  for (const auto& spec : *specs) {
    const auto again = parse_transport(format_transport(spec));
    if (!again || again->size() != 1 || again->front() != spec) __builtin_trap();
  }
  return 0;
}
