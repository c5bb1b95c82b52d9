// Fuzzes callcastd's config file reader (core/config.hpp): TOML text an operator writes, read
// before anything starts. Invariants: never a throw or a crash; an error is one non-empty message;
// reading the same text over the config it produced gives that config again (no key depends on
// the value it overrides).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto config = callcast::core::parse_config_toml(text);
  if (!config) {
    if (config.error().empty()) __builtin_trap();
    return 0;
  }
  const auto again = callcast::core::parse_config_toml(text, *config);
  if (!again || *again != *config) __builtin_trap();
  return 0;
}
