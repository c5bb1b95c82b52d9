// Fuzzes the users file reader (user_directory.hpp).
// Invariant: every user read has a valid number and lower-case hashes of the right length, and
// writing the users back as lines gives text that reads back to the same users.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/user_directory.hpp"
#include "core/group_registry.hpp"

using namespace callcast::auth;

namespace {

bool is_lower_hex(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kRealm = "callcast";
  const auto users = parse_users_text(input, kRealm);
  if (!users) {
    if (users.error().rfind("line ", 0) != 0) __builtin_trap();  // every error names its line
    return 0;
  }
  std::string text;
  for (const auto& user : *users) {
    if (!callcast::core::is_valid_number(user.number) || !is_lower_hex(user.md5_ha1, 32) ||
        !is_lower_hex(user.sha256_ha1, 64)) {
      __builtin_trap();
    }
    text +=
        user.number + ":" + std::string(kRealm) + ":" + user.md5_ha1 + ":" + user.sha256_ha1 + "\n";
  }
  const auto again = parse_users_text(text, kRealm);
  if (!again || *again != *users) __builtin_trap();
  return 0;
}
