// Fuzzes the Ut API's PUT body (forwarding/ut_rule_body.hpp), which any authenticated terminal
// sends: exactly {"target":"<number>"}. Invariants: never a throw; an accepted target is a valid
// number other than the rule's own, and written back as that one shape it is accepted again; a
// refusal has a message for the 400.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/group_registry.hpp"
#include "forwarding/ut_rule_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kOwner = "13800000001";
  const auto target = callcast::forwarding::parse_ut_rule_body(body, kOwner);
  if (!target) {
    if (target.error().empty()) __builtin_trap();
    return 0;
  }
  if (!callcast::core::is_valid_number(*target) || *target == kOwner) __builtin_trap();
  const nlohmann::json again = {{"target", *target}};
  const auto reread = callcast::forwarding::parse_ut_rule_body(again.dump(), kOwner);
  if (!reread || *reread != *target) __builtin_trap();
  return 0;
}
