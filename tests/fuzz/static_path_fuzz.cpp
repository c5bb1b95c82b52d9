// Fuzzes the web pages' path resolution (http/static_path.hpp): any request path either names a
// file relative to the web root or is refused. Invariants of an accepted path: it is relative
// (no leading '/'), it is one of the three pages or under assets/, no segment is empty, "." or
// ".." or starts with '.', it holds no backslash, NUL or other control byte; resolving is
// deterministic; and the Content-Type of anything is one of the table's or the fallback.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/static_path.hpp"

using namespace callcast::http;

namespace {

bool static_fuzz_is_safe_relative(std::string_view path) {
  if (path == "index.html" || path == "watch.html" || path == "broadcast.html") return true;
  if (!path.starts_with("assets/")) return false;
  std::size_t begin = 0;
  while (true) {
    const std::size_t slash = path.find('/', begin);
    const std::string_view segment = path.substr(begin, slash - begin);
    if (segment.empty() || segment.front() == '.') return false;
    for (const char c : segment) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '\\' || byte < 0x20 || byte == 0x7f) return false;
    }
    if (slash == std::string_view::npos) return true;
    begin = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  const auto resolved = resolve_static_path(path);
  const auto again = resolve_static_path(path);
  if (resolved.ok() != again.ok()) __builtin_trap();
  if (resolved) {
    if (*resolved != *again) __builtin_trap();
    if (!static_fuzz_is_safe_relative(*resolved)) __builtin_trap();
    // Only a path that starts with '/' names anything.
    if (path.empty() || path.front() != '/') __builtin_trap();
  } else if (resolved.error().empty()) {
    __builtin_trap();  // every refusal says why
  }
  const std::string_view type = static_content_type(path);
  if (type.empty()) __builtin_trap();
  return 0;
}
