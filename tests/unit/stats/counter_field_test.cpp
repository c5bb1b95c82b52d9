#include "stats/counter_field.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

namespace callcast::stats {
namespace {

struct Sample {
  std::uint64_t requests = 0;
  std::uint64_t bad_rtp = 0;
  std::uint64_t bad_rtsp = 0;
};

constexpr std::array<std::string_view, 1> kKind{"kind"};
constexpr Metric kRequests{"test_requests_total", Kind::counter, "Requests.", ""};
constexpr Metric kMalformed{"test_malformed_total", Kind::counter, "Malformed by kind.", "", kKind};

constexpr std::array<CounterField<Sample>, 3> kFields{{
    {&kRequests, "", "requests", &Sample::requests},
    {&kMalformed, "rtp", "malformed_rtp", &Sample::bad_rtp},
    {&kMalformed, "rtsp", "bad_requests", &Sample::bad_rtsp},
}};

TEST(CounterField, JsonObjectHasEveryMemberUnderItsKey) {
  const Sample values{3, 4, 5};
  const nlohmann::json json = counter_fields_json<Sample>(kFields, values);
  EXPECT_EQ(json, nlohmann::json::parse(R"({"requests":3,"malformed_rtp":4,"bad_requests":5})"));
}

TEST(CounterField, ExpositionHasOneSamplePerMemberAndMembersShareAFamily) {
  const Sample values{3, 4, 5};
  Exposition out;
  expose_fields<Sample>(out, kFields, values);
  EXPECT_EQ(out.text(),
            "# HELP test_requests_total Requests.\n"
            "# TYPE test_requests_total counter\n"
            "test_requests_total 3\n"
            "# HELP test_malformed_total Malformed by kind.\n"
            "# TYPE test_malformed_total counter\n"
            "test_malformed_total{kind=\"rtp\"} 4\n"
            "test_malformed_total{kind=\"rtsp\"} 5\n");
}

TEST(CounterField, ValuesFollowTheStruct) {
  Sample values{};
  EXPECT_EQ(counter_fields_json<Sample>(kFields, values).at("requests"), 0);
  ++values.requests;
  EXPECT_EQ(counter_fields_json<Sample>(kFields, values).at("requests"), 1);
}

struct Later {
  std::uint64_t old_one = 0;
  std::uint64_t new_one = 0;
  std::uint64_t per_group = 0;
};

constexpr std::array<CounterField<Later>, 3> kLaterFields{{
    {&kRequests, "", "old_one", &Later::old_one},
    {&kRequests, "", "new_one", &Later::new_one, true},
    {nullptr, "", "per_group", &Later::per_group},
}};

TEST(CounterField, JsonReadsBackWhatItWrote) {
  const Sample written{7, 8, 9};
  Sample read{};
  counter_fields_from_json<Sample>(kFields, counter_fields_json<Sample>(kFields, written), read);
  EXPECT_EQ(read.requests, 7u);
  EXPECT_EQ(read.bad_rtp, 8u);
  EXPECT_EQ(read.bad_rtsp, 9u);
}

TEST(CounterField, MissingRequiredMemberThrowsAndLaterOneReadsAsZero) {
  Later read{1, 1, 1};
  counter_fields_from_json<Later>(kLaterFields,
                                  nlohmann::json::parse(R"({"old_one":4,"per_group":5})"), read);
  EXPECT_EQ(read.old_one, 4u);
  EXPECT_EQ(read.new_one, 0u);
  EXPECT_EQ(read.per_group, 5u);
  EXPECT_THROW(counter_fields_from_json<Later>(kLaterFields,
                                               nlohmann::json::parse(R"({"new_one":4})"), read),
               nlohmann::json::exception);
  EXPECT_THROW(counter_fields_from_json<Later>(
                   kLaterFields, nlohmann::json::parse(R"({"old_one":"x","per_group":1})"), read),
               nlohmann::json::exception);
}

TEST(CounterField, JsonOnlyFieldsAreNotExposed) {
  Exposition out;
  expose_fields<Later>(out, kLaterFields, Later{1, 2, 3});
  EXPECT_EQ(out.text().find("per_group"), std::string::npos);
  EXPECT_NE(out.text().find("test_requests_total 1\n"), std::string::npos) << out.text();
}

}  // namespace
}  // namespace callcast::stats
