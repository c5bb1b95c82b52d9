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

}  // namespace
}  // namespace callcast::stats
