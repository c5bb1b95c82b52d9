#include "stats/exposition.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

namespace callcast::stats::exposition_test {
namespace {

constexpr std::array<std::string_view, 1> kStateLabel{"state"};
constexpr std::array<std::string_view, 2> kTwoLabels{"kind", "status"};
constexpr std::array<double, 2> kBounds{0.5, 2};

constexpr Metric kGroupsGauge{"test_groups", Kind::gauge, "Groups by state.", "", kStateLabel};
constexpr Metric kPackets{"test_packets_total", Kind::counter, "Packets.", ""};
constexpr Metric kFinals{"test_finals_total", Kind::counter, "Finals.", "", kTwoLabels};
constexpr Metric kJoin{"test_join_seconds", Kind::histogram, "Join time.", "seconds", {}, kBounds};
constexpr Metric kSetup{"test_setup_seconds", Kind::histogram, "Set-up.", "seconds",
                        kStateLabel,          kBounds};

TEST(Exposition, GoldenTextOfCountersGaugesAndHistograms) {
  Exposition out;
  out.add(kPackets, 42);
  out.add(kGroupsGauge, {"live"}, 2);
  out.add(kGroupsGauge, {"stalled"}, 0);
  Histogram join(kJoin);
  join.observe(0.25);
  join.observe(1);
  join.observe(3);
  out.add(kJoin, join);
  EXPECT_EQ(out.text(),
            "# HELP test_packets_total Packets.\n"
            "# TYPE test_packets_total counter\n"
            "test_packets_total 42\n"
            "# HELP test_groups Groups by state.\n"
            "# TYPE test_groups gauge\n"
            "test_groups{state=\"live\"} 2\n"
            "test_groups{state=\"stalled\"} 0\n"
            "# HELP test_join_seconds Join time.\n"
            "# TYPE test_join_seconds histogram\n"
            "test_join_seconds_bucket{le=\"0.5\"} 1\n"
            "test_join_seconds_bucket{le=\"2\"} 2\n"
            "test_join_seconds_bucket{le=\"+Inf\"} 3\n"
            "test_join_seconds_sum 4.25\n"
            "test_join_seconds_count 3\n");
}

TEST(Exposition, SamplesOfOneFamilyStayTogetherWhateverTheOrderOfAdding) {
  Exposition out;
  out.add(kGroupsGauge, {"live"}, 1);
  out.add(kPackets, 5);
  out.add(kGroupsGauge, {"waiting_for_master"}, 3);
  EXPECT_EQ(out.text(),
            "# HELP test_groups Groups by state.\n"
            "# TYPE test_groups gauge\n"
            "test_groups{state=\"live\"} 1\n"
            "test_groups{state=\"waiting_for_master\"} 3\n"
            "# HELP test_packets_total Packets.\n"
            "# TYPE test_packets_total counter\n"
            "test_packets_total 5\n");
}

TEST(Exposition, SeveralLabelsInDeclaredOrder) {
  Exposition out;
  out.add(kFinals, {"viewer", "200"}, 7);
  EXPECT_NE(out.text().find("test_finals_total{kind=\"viewer\",status=\"200\"} 7\n"),
            std::string::npos)
      << out.text();
}

TEST(Exposition, HistogramLabelsComeBeforeLe) {
  Exposition out;
  Histogram setup(kSetup);
  setup.observe(1);
  out.add(kSetup, {"service"}, setup);
  const std::string text = out.text();
  EXPECT_NE(text.find("test_setup_seconds_bucket{state=\"service\",le=\"0.5\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("test_setup_seconds_bucket{state=\"service\",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("test_setup_seconds_sum{state=\"service\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("test_setup_seconds_count{state=\"service\"} 1\n"), std::string::npos);
}

TEST(Exposition, EscapesLabelValues) {
  EXPECT_EQ(Exposition::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  Exposition out;
  out.add(kGroupsGauge, {"we\"ird\n"}, 1);
  EXPECT_NE(out.text().find("test_groups{state=\"we\\\"ird\\n\"} 1\n"), std::string::npos)
      << out.text();
}

TEST(Exposition, EscapesHelpButNotQuotes) {
  EXPECT_EQ(Exposition::escape_help("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(Exposition, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(Exposition::format_value(0), "0");
  EXPECT_EQ(Exposition::format_value(12345678901234.0), "12345678901234");
  EXPECT_EQ(Exposition::format_value(0.25), "0.25");
  EXPECT_EQ(Exposition::format_value(-3), "-3");
  EXPECT_EQ(Exposition::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Exposition::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Exposition::format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Exposition::format_value(1e300), "1e+300");
}

TEST(Exposition, DeclaredFamilyWithoutSamplesKeepsHelpAndType) {
  Exposition out;
  out.declare(kGroupsGauge);
  EXPECT_EQ(out.text(),
            "# HELP test_groups Groups by state.\n"
            "# TYPE test_groups gauge\n");
}

TEST(Exposition, AppendMergesFamiliesOfTheSameName) {
  Exposition media;
  media.add(kPackets, 1);
  Exposition sip;
  sip.add(kGroupsGauge, {"live"}, 4);
  sip.add(kPackets, 2);  // (not a real case: parts own distinct families; still one family)
  media.append(sip);
  const std::string text = media.text();
  EXPECT_EQ(text,
            "# HELP test_packets_total Packets.\n"
            "# TYPE test_packets_total counter\n"
            "test_packets_total 1\n"
            "test_packets_total 2\n"
            "# HELP test_groups Groups by state.\n"
            "# TYPE test_groups gauge\n"
            "test_groups{state=\"live\"} 4\n");
}

TEST(Exposition, EmptyWhenNothingWasAdded) {
  EXPECT_EQ(Exposition().text(), "");
}

}  // namespace
}  // namespace callcast::stats::exposition_test
