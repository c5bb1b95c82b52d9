// Fuzzes the Ut API's PUT body (forwarding/ut_api.hpp), which any authenticated terminal sends:
// exactly {"target":"<number>"}. Invariants: never a throw; an accepted target is a valid number
// other than the rule's own; a refusal is a 400 with a JSON error body.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/group_registry.hpp"
#include "forwarding/ut_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kOwner = "13800000001";
  const auto target = callcast::forwarding::UtApi::parse_rule_body(body, kOwner);
  if (target) {
    if (!callcast::core::is_valid_number(*target) || *target == kOwner) __builtin_trap();
    // The one accepted shape, written back, is accepted again.
    const nlohmann::json again = {{"target", *target}};
    const auto reread = callcast::forwarding::UtApi::parse_rule_body(again.dump(), kOwner);
    if (!reread || *reread != *target) __builtin_trap();
    return 0;
  }
  if (target.error().status != 400) __builtin_trap();
  const auto error = nlohmann::json::parse(target.error().body, nullptr, false);
  if (error.is_discarded() || !error.contains("error")) __builtin_trap();
  return 0;
}
