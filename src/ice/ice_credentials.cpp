#include "ice/ice_credentials.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>

namespace callcast::ice {

namespace {

// The 64 ice-chars: a random byte's low 6 bits pick one uniformly.
constexpr char kIceChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(sizeof kIceChars - 1 == 64);

constexpr std::size_t kUfragLength = 8;
constexpr std::size_t kPasswordLength = 24;
constexpr std::size_t kMaxIceCharsLength = 256;

std::string random_ice_chars(std::size_t count) {
  std::array<std::uint8_t, kPasswordLength> random{};
  assert(count <= random.size());
  // RAND_bytes fails only when the OS gives no entropy; a guessable password is worse than a
  // stop, so this is an invariant, not an input error.
  [[maybe_unused]] const int ok = RAND_bytes(random.data(), static_cast<int>(count));
  assert(ok == 1);
  std::string text(count, '\0');
  for (std::size_t i = 0; i < count; ++i)
    text[i] = kIceChars[random[i] & 0x3f];
  return text;
}

}  // namespace

IceCredentials IceCredentials::generate() {
  return {random_ice_chars(kUfragLength), random_ice_chars(kPasswordLength)};
}

bool is_ice_chars(const std::string& text) {
  if (text.empty() || text.size() > kMaxIceCharsLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::find(std::begin(kIceChars), std::end(kIceChars) - 1, c) != std::end(kIceChars) - 1;
  });
}

}  // namespace callcast::ice
