#pragma once
// The body of the Ut API's PUT on a number's unconditional forwarding rule (ut_api.hpp): exactly
// the JSON object {"target":"<number>"}. Sent by any authenticated terminal: untrusted input
// (tests/fuzz/ut_rule_body_fuzz.cpp).
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::forwarding {

// The target number, or the message of the 400 to answer. `number` is the rule's own number: a
// number cannot forward its calls to itself.
Result<std::string, std::string> parse_ut_rule_body(std::string_view body, std::string_view number);

}  // namespace callcast::forwarding
