// ChurnReport: the figures of `callcast-bench sip --churn-rounds` (RSS after N and after 2N calls).
#include "loadgen/churn_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace callcast::loadgen {
namespace {

TEST(ChurnReport, HalfwayAndFinalRoundsAreNAndTwoN) {
  ChurnReport report(4, 100, 8000);
  for (const std::uint64_t rss : {20000U, 21000U, 21100U, 21210U}) {
    report.add_round(rss);
  }
  EXPECT_EQ(report.rss_after_n_kb(), 21000U);
  EXPECT_EQ(report.rss_after_2n_kb(), 21210U);
  ASSERT_TRUE(report.growth_pct());
  EXPECT_NEAR(*report.growth_pct(), 1.0, 1e-9);
  // 210 KiB over the 200 calls of rounds 3 and 4.
  ASSERT_TRUE(report.growth_per_call_bytes());
  EXPECT_NEAR(*report.growth_per_call_bytes(), 210.0 * 1024 / 200, 1e-9);
}

TEST(ChurnReport, NoFinalFigureBeforeTheLastRound) {
  ChurnReport report(4, 10, std::nullopt);
  report.add_round(100);
  report.add_round(110);
  report.add_round(120);
  EXPECT_EQ(report.rss_after_n_kb(), 110U);
  EXPECT_FALSE(report.rss_after_2n_kb());
  EXPECT_FALSE(report.growth_pct());
}

TEST(ChurnReport, MissingSampleGivesNullsNotZeros) {
  ChurnReport report(2, 10, std::nullopt);
  report.add_round(std::nullopt);
  report.add_round(500);
  nlohmann::ordered_json out;
  report.write(out);
  EXPECT_TRUE(out["rss_start_kb"].is_null());
  EXPECT_TRUE(out["rss_after_n_kb"].is_null());
  EXPECT_EQ(out["rss_after_2n_kb"], 500);
  EXPECT_TRUE(out["growth_pct"].is_null());
  EXPECT_TRUE(out["growth_per_call_b"].is_null());
  ASSERT_EQ(out["rss_by_round_kb"].size(), 2U);
  EXPECT_TRUE(out["rss_by_round_kb"][0].is_null());
}

TEST(ChurnReport, JsonCarriesEveryField) {
  ChurnReport report(2, 6, 9000);
  report.add_round(10000);
  report.add_round(9900);
  nlohmann::ordered_json out;
  report.write(out);
  EXPECT_EQ(out["rounds"], 2);
  EXPECT_EQ(out["calls_per_round"], 6);
  EXPECT_EQ(out["n_calls"], 6);
  EXPECT_EQ(out["rss_start_kb"], 9000);
  EXPECT_EQ(out["rss_after_n_kb"], 10000);
  EXPECT_EQ(out["rss_after_2n_kb"], 9900);
  EXPECT_DOUBLE_EQ(out["growth_pct"].get<double>(), -1.0);
  EXPECT_EQ(out["rss_by_round_kb"], nlohmann::json::array({10000, 9900}));
}

}  // namespace
}  // namespace callcast::loadgen
