// The HTTP server's route table on its own: patterns, parameters, 405's methods, broken escapes.
#include "http/route_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::http {
namespace {

Handler named(std::string* called, std::string name) {
  return [called, name](const Request&, const Responder&) { *called = name; };
}

TEST(SplitPath, GivesTheSegmentsBetweenSlashes) {
  EXPECT_EQ(split_path("/"), std::vector<std::string_view>{""});
  EXPECT_EQ(split_path("/a/b"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(split_path("/a//b/"), (std::vector<std::string_view>{"a", "", "b", ""}));
}

TEST(PercentDecode, DecodesEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(percent_decode("a%2Fb%20c"), "a/b c");
  EXPECT_EQ(percent_decode("%e4%B8%ad"), "\xe4\xb8\xad");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("ab%g1"));
}

TEST(RouteTable, FindsTheRouteOfMethodAndPathWithDecodedParameters) {
  std::string called;
  RouteTable table;
  table.add("GET", "/v1/groups", named(&called, "list"));
  table.add("GET", "/v1/groups/{group}", named(&called, "get"));
  table.add("DELETE", "/v1/groups/{group}/viewers/{viewer}", named(&called, "remove"));

  const auto get = table.find("GET", "/v1/groups/1%2B2");
  ASSERT_NE(get.handler, nullptr);
  (*get.handler)(Request{}, Responder([](Response) {}));
  EXPECT_EQ(called, "get");
  EXPECT_EQ(get.params.at("group"), "1+2");

  const auto remove = table.find("DELETE", "/v1/groups/138/viewers/139");
  ASSERT_NE(remove.handler, nullptr);
  EXPECT_EQ(remove.params.at("group"), "138");
  EXPECT_EQ(remove.params.at("viewer"), "139");
}

TEST(RouteTable, APathOfOtherMethodsListsThemForA405) {
  RouteTable table;
  std::string called;
  table.add("GET", "/v1/groups/{group}", named(&called, "get"));
  table.add("DELETE", "/v1/groups/{group}", named(&called, "delete"));
  table.add("GET", "/v1/groups/{group}", named(&called, "again"));  // listed once
  const auto match = table.find("POST", "/v1/groups/138");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allowed, (std::vector<std::string>{"GET", "DELETE"}));
}

TEST(RouteTable, EmptyParameterSegmentsAndUnknownPathsMatchNothing) {
  RouteTable table;
  std::string called;
  table.add("GET", "/v1/groups/{group}", named(&called, "get"));
  for (const char* path : {"/v1/groups/", "/v1/groups", "/v1/groups/1/2", "/other", "relative"}) {
    const auto match = table.find("GET", path);
    EXPECT_EQ(match.handler, nullptr) << path;
    EXPECT_TRUE(match.allowed.empty()) << path;
    EXPECT_FALSE(match.malformed) << path;
  }
}

TEST(RouteTable, BrokenEscapeInAParameterIsMalformed) {
  RouteTable table;
  std::string called;
  table.add("GET", "/v1/groups/{group}", named(&called, "get"));
  const auto match = table.find("GET", "/v1/groups/%zz");
  EXPECT_TRUE(match.malformed);
  EXPECT_EQ(match.handler, nullptr);
  // In a literal segment an escape is only compared, never decoded.
  table.add("GET", "/literal%zz", named(&called, "literal"));
  EXPECT_NE(table.find("GET", "/literal%zz").handler, nullptr);
}

}  // namespace
}  // namespace callcast::http
