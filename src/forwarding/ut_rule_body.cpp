#include "forwarding/ut_rule_body.hpp"

#include <nlohmann/json.hpp>

#include "core/group_registry.hpp"

namespace callcast::forwarding {

namespace {

constexpr std::string_view kRuleShape = R"({"target":"<number>"})";

}  // namespace

Result<std::string, std::string> parse_ut_rule_body(std::string_view body,
                                                    std::string_view number) {
  using nlohmann::json;
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail("the request body is not valid JSON; expected " + std::string(kRuleShape));
  }
  if (!document.is_object()) {
    return fail("the request body must be the JSON object " + std::string(kRuleShape));
  }
  for (const auto& member : document.items()) {
    if (member.key() != "target") {
      return fail("unknown member \"" + member.key() + "\"; the body is " +
                  std::string(kRuleShape));
    }
  }
  const auto target = document.find("target");
  if (target == document.end()) return fail(std::string("member \"target\" is required"));
  if (!target->is_string()) return fail(std::string("member \"target\" must be a string"));
  std::string value = target->get<std::string>();
  if (!core::is_valid_number(value)) {
    return fail("\"" + value + "\" is not a valid number (1-32 of [0-9A-Za-z+._-])");
  }
  if (value == number) return fail(std::string("a number cannot forward its calls to itself"));
  return value;
}

}  // namespace callcast::forwarding
