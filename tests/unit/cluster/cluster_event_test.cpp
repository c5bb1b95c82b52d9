// The JSON form of a media node's group event on callcast:events: round trips, and a decoder
// that refuses every wrong field with a message saying which.
#include "cluster/cluster_event.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace callcast::cluster {
namespace {

using ::testing::HasSubstr;

ClusterEvent sample_event() {
  ClusterEvent event;
  event.node_id = "media-1:8080";
  event.epoch = "4f1c2a";
  event.logged.seq = 12;
  event.logged.unix_ms = 1'700'000'000'123;
  event.logged.event =
      core::GroupEvent{core::GroupEventKind::viewer_joined, "1001", "1002", "play"};
  return event;
}

// The sample's JSON with one member replaced (or removed, when `value` is discarded).
std::string with_member(const std::string& name, const nlohmann::json& value) {
  nlohmann::json json = nlohmann::json::parse(encode_cluster_event(sample_event()));
  if (value.is_discarded()) {
    json.erase(name);
  } else {
    json[name] = value;
  }
  return json.dump();
}

std::string decode_error(const std::string& message) {
  auto decoded = decode_cluster_event(message);
  return decoded.ok() ? std::string("<decoded>") : decoded.error();
}

TEST(ClusterEventTest, EncodesTheDocumentedFields) {
  const nlohmann::json json = nlohmann::json::parse(encode_cluster_event(sample_event()));
  EXPECT_EQ(json, nlohmann::json::parse(R"({"node":"media-1:8080","epoch":"4f1c2a","seq":12,
      "unix_ms":1700000000123,"kind":"viewer_joined","group":"1001","terminal":"1002",
      "reason":"play"})"));
}

TEST(ClusterEventTest, EveryKindRoundTrips) {
  using core::GroupEventKind;
  for (const GroupEventKind kind :
       {GroupEventKind::master_joined, GroupEventKind::master_lost, GroupEventKind::viewer_joined,
        GroupEventKind::viewer_left, GroupEventKind::group_closed, GroupEventKind::master_stalled,
        GroupEventKind::master_resumed}) {
    ClusterEvent event = sample_event();
    event.logged.event.kind = kind;
    auto decoded = decode_cluster_event(encode_cluster_event(event));
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    ASSERT_TRUE(decoded->event.has_value());
    const ClusterEvent& back = *decoded->event;
    EXPECT_EQ(back.node_id, event.node_id);
    EXPECT_EQ(back.epoch, event.epoch);
    EXPECT_EQ(back.logged.seq, event.logged.seq);
    EXPECT_EQ(back.logged.unix_ms, event.logged.unix_ms);
    EXPECT_EQ(back.logged.event.kind, kind);
    EXPECT_EQ(back.logged.event.group, "1001");
    EXPECT_EQ(back.logged.event.terminal, "1002");
    EXPECT_EQ(back.logged.event.reason, "play");
  }
}

TEST(ClusterEventTest, InvalidUtf8InAReasonIsReplacedNotThrown) {
  ClusterEvent event = sample_event();
  event.logged.event.reason = "bad \xff\xfe byte";
  auto decoded = decode_cluster_event(encode_cluster_event(event));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_THAT(decoded->event->logged.event.reason, HasSubstr("bad "));
}

TEST(ClusterEventTest, UnknownKindIsWellFormedButCarriesNoEvent) {
  auto decoded = decode_cluster_event(with_member("kind", "viewer_teleported"));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_FALSE(decoded->event.has_value());
  EXPECT_EQ(decoded->node_id, "media-1:8080");
  EXPECT_EQ(decoded->seq, 12U) << "its seq still counts";
}

TEST(ClusterEventTest, MalformedMessagesSayWhatIsWrong) {
  const nlohmann::json removed = nlohmann::json(nlohmann::json::value_t::discarded);
  EXPECT_EQ(decode_error("{"), "not valid JSON");
  EXPECT_EQ(decode_error(""), "not valid JSON");
  EXPECT_EQ(decode_error("[1,2]"), "not a JSON object");
  EXPECT_EQ(decode_error(with_member("node", removed)), "no \"node\"");
  EXPECT_EQ(decode_error(with_member("node", 7)), "\"node\" must be a string");
  EXPECT_THAT(decode_error(with_member("node", "media*")), HasSubstr("invalid node id"));
  EXPECT_THAT(decode_error(with_member("node", std::string(65, 'n'))), HasSubstr("longer than"));
  EXPECT_EQ(decode_error(with_member("seq", -1)), "\"seq\" must be a non-negative integer");
  EXPECT_EQ(decode_error(with_member("seq", 1.5)), "\"seq\" must be a non-negative integer");
  EXPECT_EQ(decode_error(with_member("seq", "12")), "\"seq\" must be a non-negative integer");
  EXPECT_EQ(decode_error(with_member("unix_ms", "now")), "\"unix_ms\" must be an integer");
  EXPECT_EQ(decode_error(with_member("unix_ms", std::uint64_t{1} << 63)),
            "\"unix_ms\" must be an integer");
  EXPECT_THAT(decode_error(with_member("group", "10 01")), HasSubstr("invalid group"));
  EXPECT_THAT(decode_error(with_member("group", "")), HasSubstr("invalid group"));
  EXPECT_THAT(decode_error(with_member("terminal", "1002;x")), HasSubstr("invalid terminal"));
  EXPECT_EQ(decode_error(with_member("terminal", "")), "<decoded>") << "an event without one";
  EXPECT_THAT(decode_error(with_member("reason", std::string(600, 'r'))), HasSubstr("longer than"));
  EXPECT_EQ(decode_error(with_member("kind", nullptr)), "\"kind\" must be a string");
  EXPECT_THAT(decode_error(std::string(5000, ' ')), HasSubstr("longer than 4096 bytes"));
}

}  // namespace
}  // namespace callcast::cluster
