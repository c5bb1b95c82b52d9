// The Ut API's PUT body on its own: exactly {"target":"<number>"}, any other shape refused with
// a message that says what was expected.
#include "forwarding/ut_rule_body.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callcast::forwarding {
namespace {

TEST(UtRuleBody, TheOneShapeGivesTheTarget) {
  EXPECT_EQ(parse_ut_rule_body(R"({"target":"13900000002"})", "13800000001").value(),
            "13900000002");
  EXPECT_EQ(parse_ut_rule_body(R"( {"target" : "+44.20_x-1"} )", "1001").value(), "+44.20_x-1");
}

TEST(UtRuleBody, EveryOtherShapeIsRefusedWithAReason) {
  const auto error = [](std::string_view body) {
    const auto parsed = parse_ut_rule_body(body, "1001");
    EXPECT_FALSE(parsed.ok()) << body;
    return parsed.ok() ? std::string() : parsed.error();
  };
  EXPECT_NE(error("target=1002").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error(R"(["1002"])").find("must be the JSON object"), std::string::npos);
  EXPECT_NE(error(R"({"target":"1002","x":1})").find("unknown member \"x\""), std::string::npos);
  EXPECT_NE(error("{}").find("\"target\" is required"), std::string::npos);
  EXPECT_NE(error(R"({"target":1002})").find("must be a string"), std::string::npos);
  EXPECT_NE(error(R"({"target":"10 02"})").find("not a valid number"), std::string::npos);
  EXPECT_NE(error(R"({"target":"1001"})").find("cannot forward its calls to itself"),
            std::string::npos);
}

}  // namespace
}  // namespace callcast::forwarding
