// The media nodes' directory on a real redis-server: what a node publishes is what the others
// read, an entry left unrefreshed is gone within its TTL, SCAN pages are followed, entries that
// cannot be read are left out, and placement picks the least loaded node deterministically.
#include "cluster/media_node_directory.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "redis_test.hpp"
#include "support/wait_until.hpp"

namespace callcast::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

MediaNodeAddress node_address(const std::string& id, std::size_t max_viewers = 100) {
  return MediaNodeAddress{.node_id = id,
                          .http_url = "http://10.0.0.1:8080",
                          .rtsp_url = "rtsp://10.0.0.1:8554",
                          .rtp_host = "10.0.0.1",
                          .rtp_port = 8000,
                          .max_viewers = max_viewers};
}

MediaNodeEntry entry(const std::string& id, std::size_t viewers, std::size_t max_viewers,
                     std::size_t groups) {
  return MediaNodeEntry{node_address(id, max_viewers), MediaNodeLoad{viewers, groups, 0}, 0};
}

std::vector<std::string> ids(const std::vector<MediaNodeEntry>& nodes) {
  std::vector<std::string> out;
  for (const MediaNodeEntry& node : nodes)
    out.push_back(node.address.node_id);
  return out;
}

class MediaNodeDirectoryTest : public test::RedisTest {
 protected:
  MediaNodeDirectory directory_for(RedisClient& client, std::optional<MediaNodeAddress> self,
                                   milliseconds ttl = milliseconds(6000)) {
    MediaNodeDirectoryOptions options;
    options.ttl = ttl;
    return MediaNodeDirectory(client, core::RealTimeSource::instance(), std::move(self), options);
  }

  std::vector<MediaNodeEntry> fresh() {
    auto nodes = reader_.fresh_nodes();
    EXPECT_TRUE(nodes.ok()) << nodes.error();
    return nodes.ok() ? *nodes : std::vector<MediaNodeEntry>{};
  }

  RedisClient media_client_{redis_.address()};
  RedisClient signaling_client_{redis_.address()};
  MediaNodeDirectory reader_{signaling_client_, core::RealTimeSource::instance(), std::nullopt};
};

TEST_F(MediaNodeDirectoryTest, PublishedNodeIsReadBackWithItsAddressAndLoad) {
  MediaNodeDirectory media = directory_for(media_client_, node_address("media-1:8080", 500));
  const auto before_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto published = media.publish(MediaNodeLoad{.viewers = 42, .groups = 3, .cpu_pct = 37.26});
  ASSERT_TRUE(published.ok()) << published.error();

  const std::vector<MediaNodeEntry> nodes = fresh();
  ASSERT_EQ(nodes.size(), 1U);
  const MediaNodeEntry& node = nodes.front();
  EXPECT_EQ(node.address, node_address("media-1:8080", 500));
  EXPECT_EQ(node.load.viewers, 42U);
  EXPECT_EQ(node.load.groups, 3U);
  EXPECT_DOUBLE_EQ(node.load.cpu_pct, 37.3) << "one decimal is kept";
  EXPECT_GE(node.updated_ms, before_ms);

  // The key's layout, as an operator reading Redis sees it.
  auto fields = signaling_client_.strings({"HKEYS", "callcast:media-node:media-1:8080"});
  ASSERT_TRUE(fields.ok()) << fields.error();
  std::sort(fields->begin(), fields->end());
  EXPECT_THAT(*fields, ElementsAre("cpu_pct", "groups", "http_url", "max_viewers", "node_id",
                                   "rtp_host", "rtp_port", "rtsp_url", "updated_ms", "viewers"));
  auto ttl = signaling_client_.integer({"PTTL", "callcast:media-node:media-1:8080"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(*ttl, 5000);
  EXPECT_LE(*ttl, 6000);
  EXPECT_EQ(media.refresh_interval(), milliseconds(2000));
}

TEST_F(MediaNodeDirectoryTest, NodeThatStopsRefreshingDisappearsWithinItsTtl) {
  const milliseconds ttl(1000);
  RedisClient other_client(redis_.address());
  MediaNodeDirectory stopping = directory_for(media_client_, node_address("media-1"), ttl);
  MediaNodeDirectory staying = directory_for(other_client, node_address("media-2"), ttl);
  ASSERT_TRUE(stopping.publish({}).ok());
  const auto last_refresh = Clock::now();
  ASSERT_TRUE(staying.publish({}).ok());
  EXPECT_THAT(ids(fresh()), ElementsAre("media-1", "media-2"));

  // media-2 goes on refreshing every third of the TTL, as its timer would; media-1 has stopped.
  bool gone = false;
  Clock::time_point gone_at;
  const auto deadline = Clock::now() + 5 * ttl;
  while (!gone && Clock::now() < deadline) {
    ASSERT_TRUE(staying.publish({}).ok());
    std::this_thread::sleep_for(staying.refresh_interval() / 4);
    const std::vector<std::string> now = ids(fresh());
    ASSERT_THAT(now, ::testing::Contains("media-2")) << "a refreshed node never expires";
    if (now.size() == 1) {
      gone = true;
      gone_at = Clock::now();
    }
  }
  ASSERT_TRUE(gone) << "media-1 still listed " << (5 * ttl).count() << " ms after its last refresh";
  // Bounds with room for a loaded machine: the point is "at the TTL", not "some time later".
  EXPECT_GE(gone_at - last_refresh, ttl - milliseconds(200));
  EXPECT_LT(gone_at - last_refresh, ttl + milliseconds(1000));
}

TEST_F(MediaNodeDirectoryTest, WithdrawRemovesTheEntryAtOnce) {
  MediaNodeDirectory media = directory_for(media_client_, node_address("media-1"));
  ASSERT_TRUE(media.publish({}).ok());
  EXPECT_EQ(*media.withdraw(), true);
  EXPECT_TRUE(fresh().empty());
  EXPECT_EQ(*media.withdraw(), false);
}

TEST_F(MediaNodeDirectoryTest, ManyNodesAreReadAcrossScanPages) {
  MediaNodeDirectoryOptions small_pages;
  small_pages.scan_count = 7;
  MediaNodeDirectory reader(signaling_client_, core::RealTimeSource::instance(), std::nullopt,
                            small_pages);
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "m%03d", i);
    expected.emplace_back(id);
    MediaNodeDirectory node = directory_for(media_client_, node_address(id));
    ASSERT_TRUE(node.publish({}).ok());
  }
  // Keys of other families under callcast: are not read as nodes.
  ASSERT_TRUE(media_client_.status_ok({"SET", "callcast:fwd:1001", "777"}).ok());
  auto nodes = reader.fresh_nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  EXPECT_EQ(ids(*nodes), expected) << "each node once, sorted by id";
}

TEST_F(MediaNodeDirectoryTest, ScanThatDoesNotFinishFailsClearly) {
  MediaNodeDirectory node = directory_for(media_client_, node_address("m1"));
  ASSERT_TRUE(node.publish({}).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(media_client_.status_ok({"SET", "callcast:other:" + std::to_string(i), "x"}).ok());
  }
  MediaNodeDirectoryOptions one_round;
  one_round.scan_count = 1;
  one_round.max_scan_rounds = 1;
  MediaNodeDirectory reader(signaling_client_, core::RealTimeSource::instance(), std::nullopt,
                            one_round);
  auto nodes = reader.fresh_nodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_THAT(nodes.error(), HasSubstr("SCAN callcast:media-node:*: not done after 1 rounds"));
}

TEST_F(MediaNodeDirectoryTest, UnreadableEntriesAreLeftOutAndCounted) {
  MediaNodeDirectory good = directory_for(media_client_, node_address("media-1"));
  ASSERT_TRUE(good.publish({}).ok());
  ASSERT_TRUE(
      media_client_
          .integer({"HSET", "callcast:media-node:media-2", "node_id", "media-2", "viewers", "many"})
          .ok());
  ASSERT_TRUE(media_client_.status_ok({"SET", "callcast:media-node:media-3", "not a hash"}).ok());
  // A complete entry filed under another node's key.
  MediaNodeDirectory liar = directory_for(media_client_, node_address("media-4"));
  ASSERT_TRUE(liar.publish({}).ok());
  ASSERT_TRUE(
      media_client_
          .status_ok({"RENAME", "callcast:media-node:media-4", "callcast:media-node:media-5"})
          .ok());

  EXPECT_THAT(ids(fresh()), ElementsAre("media-1"));
  EXPECT_EQ(reader_.unreadable_entries(), 3U);
}

TEST_F(MediaNodeDirectoryTest, LeastLoadedReadsTheFreshNodes) {
  RedisClient other_client(redis_.address());
  MediaNodeDirectory busy = directory_for(media_client_, node_address("media-1", 100));
  MediaNodeDirectory idle = directory_for(other_client, node_address("media-2", 100));
  ASSERT_TRUE(busy.publish({.viewers = 50, .groups = 1}).ok());
  ASSERT_TRUE(idle.publish({.viewers = 10, .groups = 4}).ok());
  auto best = reader_.least_loaded();
  ASSERT_TRUE(best.ok()) << best.error();
  ASSERT_TRUE(best->has_value());
  EXPECT_EQ((*best)->address.node_id, "media-2");
}

TEST_F(MediaNodeDirectoryTest, RedisDownIsAnErrorNamingIt) {
  redis_.stop();
  auto nodes = reader_.fresh_nodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_THAT(nodes.error(),
              HasSubstr("redis 127.0.0.1:" + std::to_string(redis_.port()) + ": SCAN"));
  MediaNodeDirectory media = directory_for(media_client_, node_address("media-1"));
  auto published = media.publish({});
  ASSERT_FALSE(published.ok());
  EXPECT_THAT(published.error(), HasSubstr("EVALSHA media-node-publish"));
  ASSERT_TRUE(redis_.start()) << redis_.error();
  EXPECT_TRUE(media.publish({}).ok()) << "the script is sent again to a Redis that lost it";
  EXPECT_THAT(ids(fresh()), ElementsAre("media-1"));
}

// ---- placement (no Redis) ---------------------------------------------------------------------

TEST(PickLeastLoadedTest, SmallestShareOfCapacityWins) {
  const std::vector<MediaNodeEntry> nodes{entry("a", 50, 100, 0), entry("b", 60, 200, 9),
                                          entry("c", 10, 10, 0)};
  EXPECT_EQ(pick_least_loaded(nodes)->address.node_id, "b") << "30% beats 50%; c is full";
}

TEST(PickLeastLoadedTest, EqualSharesGoByGroupsThenNodeId) {
  const std::vector<MediaNodeEntry> by_groups{entry("a", 10, 100, 5), entry("b", 20, 200, 2)};
  EXPECT_EQ(pick_least_loaded(by_groups)->address.node_id, "b");
  const std::vector<MediaNodeEntry> by_id{entry("n2", 0, 100, 0), entry("n10", 0, 100, 0),
                                          entry("n1", 0, 50, 0)};
  EXPECT_EQ(pick_least_loaded(by_id)->address.node_id, "n1");
  // The same answer whatever order the nodes are listed in.
  const std::vector<MediaNodeEntry> reversed(by_id.rbegin(), by_id.rend());
  EXPECT_EQ(pick_least_loaded(reversed)->address.node_id, "n1");
}

TEST(PickLeastLoadedTest, FullNodesAreNeverPicked) {
  EXPECT_EQ(pick_least_loaded(std::vector<MediaNodeEntry>{}), std::nullopt);
  const std::vector<MediaNodeEntry> full{entry("a", 100, 100, 0), entry("b", 7, 0, 0),
                                         entry("c", 101, 100, 0)};
  EXPECT_EQ(pick_least_loaded(full), std::nullopt);
}

TEST(PickLeastLoadedTest, LargeCountsDoNotOverflow) {
  const std::vector<MediaNodeEntry> nodes{entry("a", 99'999'999, 100'000'000, 0),
                                          entry("b", 99'999'998, 100'000'000, 0)};
  EXPECT_EQ(pick_least_loaded(nodes)->address.node_id, "b");
}

TEST(ParseMediaNodeEntryTest, SaysWhatIsWrong) {
  const std::vector<std::string> complete{
      "node_id",     "m1",       "http_url", "http://h:1", "rtsp_url",   "rtsp://h:2",   "rtp_host",
      "h",           "rtp_port", "8000",     "viewers",    "1",          "groups",       "2",
      "max_viewers", "3",        "cpu_pct",  "4.5",        "updated_ms", "1700000000000"};
  auto parsed = parse_media_node_entry(complete);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->address.rtp_port, 8000);
  EXPECT_EQ(parsed->updated_ms, 1700000000000);

  const auto with = [&](const std::string& field, const std::string& value) {
    std::vector<std::string> fields = complete;
    for (std::size_t i = 0; i < fields.size(); i += 2) {
      if (fields[i] == field) fields[i + 1] = value;
    }
    auto result = parse_media_node_entry(fields);
    return result.ok() ? std::string("ok") : result.error();
  };
  EXPECT_THAT(with("rtp_port", "70000"), HasSubstr("rtp_port is not a count"));
  EXPECT_THAT(with("viewers", "-1"), HasSubstr("viewers is not a count"));
  EXPECT_THAT(with("cpu_pct", "nan"), HasSubstr("cpu_pct is not a percentage"));
  EXPECT_THAT(with("cpu_pct", "-3"), HasSubstr("cpu_pct"));
  EXPECT_THAT(with("node_id", "a b"), HasSubstr("invalid node_id"));
  EXPECT_THAT(with("updated_ms", "99999999999999999999"), HasSubstr("updated_ms"));
  std::vector<std::string> missing(complete.begin(), complete.end() - 2);
  EXPECT_THAT(parse_media_node_entry(missing).error(), HasSubstr("no field updated_ms"));
  std::vector<std::string> odd(complete.begin(), complete.end() - 1);
  EXPECT_THAT(parse_media_node_entry(odd).error(), HasSubstr("odd number"));
}

}  // namespace
}  // namespace callcast::cluster
