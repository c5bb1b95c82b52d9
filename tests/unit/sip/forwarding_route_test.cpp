#include "sip/forwarding_route.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace callcast::sip {
namespace {

class ForwardingRouteTest : public ::testing::Test {
 protected:
  ForwardingRoute resolve(const std::string& dialled) {
    RouteLookups lookups;
    lookups.user_exists = [this](std::string_view n) { return users.contains(std::string(n)); };
    lookups.target_of = [this](std::string_view n,
                               std::string& error) -> std::optional<std::string> {
      if (broken) {
        error = "disk I/O error";
        return std::nullopt;
      }
      auto it = rules.find(std::string(n));
      if (it == rules.end()) return std::nullopt;
      return it->second;
    };
    return resolve_forwarding(dialled, "777", lookups);
  }
  std::set<std::string> users{"1", "2", "3", "4", "5", "6", "7", "8"};
  std::map<std::string, std::string> rules;
  bool broken = false;
};

TEST_F(ForwardingRouteTest, ANumberForwardedToTheServiceIsABroadcast) {
  rules["1"] = "777";
  const auto route = resolve("1");
  EXPECT_EQ(route.kind, RouteKind::broadcast);
  EXPECT_EQ(route.number, "1");
}

TEST_F(ForwardingRouteTest, FollowsOrdinaryForwardingToTheBroadcaster) {
  rules["1"] = "2";
  rules["2"] = "3";
  rules["3"] = "777";
  const auto route = resolve("1");
  EXPECT_EQ(route.kind, RouteKind::broadcast);
  EXPECT_EQ(route.number, "3");
  EXPECT_EQ(route.chain, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(ForwardingRouteTest, AllowsFiveHopsAndNoMore) {
  for (int i = 1; i <= 5; ++i)
    rules[std::to_string(i)] = std::to_string(i + 1);
  rules["6"] = "777";
  EXPECT_EQ(resolve("1").kind, RouteKind::broadcast);  // 1->2->3->4->5->6: five hops
  rules["6"] = "7";
  rules["7"] = "777";
  EXPECT_EQ(resolve("1").kind, RouteKind::too_many_hops);
}

TEST_F(ForwardingRouteTest, DetectsALoop) {
  rules["1"] = "2";
  rules["2"] = "1";
  const auto route = resolve("1");
  EXPECT_EQ(route.kind, RouteKind::loop);
  EXPECT_EQ(route.chain, (std::vector<std::string>{"1", "2", "1"}));
}

TEST_F(ForwardingRouteTest, ANumberWithoutForwardingIsNotBroadcasting) {
  EXPECT_EQ(resolve("4").kind, RouteKind::not_forwarded);
  rules["4"] = "5";
  const auto route = resolve("4");
  EXPECT_EQ(route.kind, RouteKind::not_forwarded);
  EXPECT_EQ(route.number, "5");
}

TEST_F(ForwardingRouteTest, UnknownNumbersAnywhereOnTheChainAreUnknown) {
  EXPECT_EQ(resolve("999").kind, RouteKind::unknown_number);
  rules["1"] = "999";
  EXPECT_EQ(resolve("1").kind, RouteKind::unknown_number);
}

TEST_F(ForwardingRouteTest, AStoreFailureIsReported) {
  broken = true;
  const auto route = resolve("1");
  EXPECT_EQ(route.kind, RouteKind::lookup_failed);
  EXPECT_EQ(route.detail, "disk I/O error");
}

}  // namespace
}  // namespace callcast::sip
