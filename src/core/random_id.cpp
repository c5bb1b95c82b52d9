#include "core/random_id.hpp"

#include <cstdint>
#include <cstdio>
#include <random>

namespace callcast::core {

std::string random_hex_id() {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> digits;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digits(device)));
  return text;
}

}  // namespace callcast::core
