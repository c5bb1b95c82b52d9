// Issue 15, placement over media nodes: one signaling node without --media-url and three media
// nodes sharing one Redis, every one on a host of its own (network namespaces on one bridge),
// the terminals on two more:
//
//   redis 10.99.0.1   sig .2   media1 .3   media2 .4   media3 .5   pub .6   view .7
//
// Three `callcast broadcast`s land on three different media nodes (the least loaded one each
// time), a `callcast watch` of each decodes, routed to its broadcast's node. One media node is
// killed (SIGKILL): its broadcaster and viewer get a BYE saying the media node was lost once its
// directory entry expires, the other two broadcasts play on, and a new broadcast lands on a
// live node.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/lab_terminals.hpp"
#include "support/media_tools.hpp"
#include "support/netns_lab.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace cluster_placement {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "secret-pass";
constexpr const char* kMediaKey = "cluster-media-key";
constexpr const char* kClusterSecret = "cluster-secret";
constexpr std::uint16_t kSipPort = 5060;
constexpr std::uint16_t kHttpPort = 8080;
constexpr std::uint16_t kRedisPort = 6379;
// Short, so that the test sees a lost node within seconds (the default is 6 s).
constexpr int kMediaNodeTtlMs = 2000;
const std::vector<std::string> kMediaHosts = {"media1", "media2", "media3"};
const std::vector<std::string> kBroadcasters = {"13800000001", "13800000002", "13800000003",
                                                "13800000004"};
const std::vector<std::string> kViewers = {"13900000011", "13900000012", "13900000013",
                                           "13900000014"};
constexpr auto kTestBudget = 150s;

class ClusterPlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deadline_ = Clock::now() + kTestBudget;
    if (auto reason = NetnsLab::unavailable_reason()) {
      GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
    }
    const std::string missing = missing_tools();
    ASSERT_TRUE(missing.empty()) << "tools missing: " << missing;
    dir_ = std::make_unique<TempDir>("cluster-placement");
    lab_ = std::make_unique<NetnsLab>(
        dir_->path(),
        std::vector<std::string>{"redis", "sig", "media1", "media2", "media3", "pub", "view"});
    ASSERT_TRUE(lab_->ok()) << "cannot build the lab: " << lab_->error();
    terminals_ = std::make_unique<LabTerminals>(
        *lab_, dir(), CALLCAST_PATH, lab_->host("sig").address + ":" + std::to_string(kSipPort),
        kPassword);
    start_redis();
    for (const auto& host : kMediaHosts) {
      media_[host] = start_node(host, "media");
      ASSERT_TRUE(media_[host]);
    }
    sig_ = start_node("sig", "signaling");
    ASSERT_TRUE(sig_);
  }

  void TearDown() override {
    terminals_.reset();
    sig_.reset();
    media_.clear();
    redis_.reset();
    lab_.reset();
  }

  const std::filesystem::path& dir() const { return dir_->path(); }
  std::chrono::milliseconds within(std::chrono::milliseconds timeout) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(timeout, left));
  }
  std::string redis_url() const {
    return "tcp://" + lab_->host("redis").address + ":" + std::to_string(kRedisPort);
  }

  void start_redis() {
    ChildOptions child;
    child.argv = lab_->in(lab_->host("redis"),
                          {"redis-server", "--bind", lab_->host("redis").address, "--port",
                           std::to_string(kRedisPort), "--save", "", "--appendonly", "no",
                           "--protected-mode", "no", "--dir", dir().string()});
    child.stdout_file = dir() / "redis.out";
    child.stderr_file = dir() / "redis.err";
    redis_ = std::make_unique<ChildProcess>(std::move(child));
    ASSERT_TRUE(redis_->started()) << redis_->error();
    ASSERT_TRUE(wait_until(
        [&] {
          return file_tail(dir() / "redis.out", 1 << 16).find("Ready to accept") !=
                     std::string::npos ||
                 !redis_->running();
        },
        10s, 50ms));
    ASSERT_TRUE(redis_->running()) << file_tail(dir() / "redis.out", 1 << 16);
  }

  std::unique_ptr<CallcastServer> start_node(const std::string& host, const std::string& role) {
    const auto where = dir() / host;
    std::filesystem::create_directories(where);
    ServerOptions options;
    options.role = role;
    options.log_level = "info";
    options.exec_prefix = lab_->in(lab_->host(host), {});
    options.http = "0.0.0.0:" + std::to_string(kHttpPort);
    const std::string cluster = "[cluster]\nredis_url = \"" + redis_url() +
                                "\"\nmedia_node_ttl_ms = " + std::to_string(kMediaNodeTtlMs) +
                                "\ngroup_ttl_ms = 4000\n" + cluster_extra_;
    if (role == "media") {
      options.rtsp = "0.0.0.0:8554";
      options.rtp_ports = "8000-8001";
      // Listening on every interface: the node says where the others reach it.
      options.config_toml =
          std::string("token_secret = \"") + kClusterSecret + "\"\n[http]\napi_key = \"" +
          kMediaKey + "\"\n[media]\npublisher_grace_s = 5\n" + media_extra_ + cluster +
          "node_id = \"" + host + "\"\nadvertise_host = \"" + lab_->host(host).address + "\"\n";
    } else {
      options.sip = "0.0.0.0:" + std::to_string(kSipPort);
      for (const auto& number : kBroadcasters)
        options.users.emplace_back(number, kPassword);
      for (const auto& number : kViewers)
        options.users.emplace_back(number, kPassword);
      options.config_toml = std::string("token_secret = \"") + kClusterSecret +
                            "\"\n[sip]\nmedia_api_key = \"" + kMediaKey +
                            "\"\n[http]\npublic_url = \"http://" + lab_->host(host).address + ":" +
                            std::to_string(kHttpPort) + "\"\n" + cluster + "node_id = \"sig\"\n";
    }
    auto server = std::make_unique<CallcastServer>(CALLCASTD_PATH, where, options);
    if (!server->start()) {
      ADD_FAILURE() << "cannot start " << role << " on " << host << ": " << server->log_tail();
      return nullptr;
    }
    return server;
  }

  ChildProcess& terminal(const std::string& host, std::vector<std::string> argv,
                         const std::string& name) {
    return terminals_->start(host, std::move(argv), name);
  }
  std::vector<std::string> account(const std::string& number, const std::string& name) const {
    return terminals_->account(number, name);
  }
  ChildProcess& broadcast(const std::string& number) { return terminals_->broadcast(number); }
  ChildProcess& watch(const std::string& number, const std::string& viewer) {
    return terminals_->watch(number, viewer);
  }
  static std::string output(const ChildProcess& child) { return LabTerminals::output(child); }
  ::testing::AssertionResult wait_for_output(ChildProcess& child, const std::string& text,
                                             std::chrono::milliseconds timeout) {
    auto found = LabTerminals::wait_for_output(child, text, timeout);
    if (!found) found << "\nsignaling log:\n" << sig_->log_tail();
    return found;
  }

  ::testing::AssertionResult wait_live(ChildProcess& master) {
    return wait_for_output(master, "step 707", within(30s));
  }

  // The media node the signaling node placed `group` on, from its log.
  std::optional<std::string> placed_on(const std::string& group) const {
    const std::string log = file_tail(sig_->log_path(), 1 << 24);
    const std::regex line("group=" + group + " step=703 placed on media node ([A-Za-z0-9]+)");
    std::smatch match;
    if (!std::regex_search(log, match, line)) return std::nullopt;
    return match[1].str();
  }

  // More configuration for every node's [cluster] section, and the media nodes' [media].
  std::string cluster_extra_;
  std::string media_extra_;
  Clock::time_point deadline_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<ChildProcess> redis_;
  std::map<std::string, std::unique_ptr<CallcastServer>> media_;
  std::unique_ptr<CallcastServer> sig_;
  std::unique_ptr<LabTerminals> terminals_;  // after the lab, before the servers end
};

TEST_F(ClusterPlacementTest, BroadcastsSpreadOverMediaNodesAndALostNodesCallsEnd) {
  // Three broadcasts, one after the other: each on the least loaded node, so all three differ.
  std::vector<ChildProcess*> masters;
  std::vector<std::string> nodes;
  for (std::size_t i = 0; i < 3; ++i) {
    masters.push_back(&broadcast(kBroadcasters[i]));
    ASSERT_TRUE(wait_live(*masters.back()));
    const auto node = placed_on(kBroadcasters[i]);
    ASSERT_TRUE(node) << sig_->log_tail();
    nodes.push_back(*node);
  }
  EXPECT_EQ(std::set<std::string>(nodes.begin(), nodes.end()).size(), 3U)
      << nodes[0] << " " << nodes[1] << " " << nodes[2];
  std::printf("[measured] placed %s->%s %s->%s %s->%s\n", kBroadcasters[0].c_str(),
              nodes[0].c_str(), kBroadcasters[1].c_str(), nodes[1].c_str(),
              kBroadcasters[2].c_str(), nodes[2].c_str());

  // A viewer of each decodes: its admission went to its broadcast's node.
  std::vector<ChildProcess*> viewers;
  for (std::size_t i = 0; i < 3; ++i)
    viewers.push_back(&watch(kBroadcasters[i], kViewers[i]));
  for (auto* viewer : viewers)
    ASSERT_TRUE(wait_for_output(*viewer, "step 714: first frame", within(30s)));

  // The first broadcast's media node dies outright: no withdrawal, its entry expires.
  const std::string lost = nodes[0];
  const auto killed_at = Clock::now();
  media_[lost]->kill();
  const std::string why = "the media node was lost";
  ASSERT_TRUE(wait_for_output(*viewers[0], why, within(20s)));
  ASSERT_TRUE(wait_for_output(*masters[0], why, within(10s)));
  const double ended_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  EXPECT_LE(ended_s, kMediaNodeTtlMs / 1000.0 + 5.0) << "the TTL, a directory poll and the BYEs";
  std::printf("[measured] media node %s killed: its calls ended after %.2f s (ttl %d ms)\n",
              lost.c_str(), ended_s, kMediaNodeTtlMs);
  EXPECT_TRUE(viewers[0]->wait_for(within(10s))) << output(*viewers[0]);
  EXPECT_TRUE(masters[0]->wait_for(within(10s))) << output(*masters[0]);

  // The others play on.
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_TRUE(masters[i]->running()) << output(*masters[i]);
    EXPECT_TRUE(viewers[i]->running()) << output(*viewers[i]);
  }

  // A new broadcast lands on a live node, and is watched there.
  ChildProcess& late = broadcast(kBroadcasters[3]);
  ASSERT_TRUE(wait_live(late));
  const auto late_node = placed_on(kBroadcasters[3]);
  ASSERT_TRUE(late_node);
  EXPECT_NE(*late_node, lost);
  std::printf("[measured] a new broadcast after the loss: on %s\n", late_node->c_str());
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_TRUE(viewers[i]->running()) << output(*viewers[i]);
  }
}

// Issue 15, a broadcast's audience past its node's room: with cluster.max_viewers_per_node = 2,
// two of four `callcast watch` viewers are admitted on the broadcast's node and two on one edge
// node, which pulls the group from the origin once; all four decode the same stream. When the
// edge's viewers hang up, its pull is dropped (media.edge_linger_s later) and it leaves the
// group's edges; the broadcast goes on.
class ClusterOverflowTest : public ClusterPlacementTest {
 protected:
  ClusterOverflowTest() {
    cluster_extra_ = "max_viewers_per_node = 2\n";
    media_extra_ = "edge_linger_s = 2\n";
  }

  // The edge node the signaling node admitted `viewer` on, from its log; nullopt: the origin.
  std::optional<std::string> edge_of(const std::string& viewer) const {
    const std::string log = file_tail(sig_->log_path(), 1 << 24);
    const std::regex line("terminal=" + viewer +
                          " step=712 admitted on edge media node ([A-Za-z0-9]+)");
    std::smatch match;
    if (!std::regex_search(log, match, line)) return std::nullopt;
    return match[1].str();
  }

  std::optional<nlohmann::json> stats(const std::string& name) const {
    const auto text = file_tail(dir() / (name + ".stats.json"), 1 << 20);
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }
};

TEST_F(ClusterOverflowTest, ViewersPastTheNodesRoomPlayFromAnEdgeAndAllDecode) {
  const std::string& master_number = kBroadcasters[0];
  ChildProcess& master = broadcast(master_number);
  ASSERT_TRUE(wait_live(master));
  const auto origin = placed_on(master_number);
  ASSERT_TRUE(origin) << sig_->log_tail();

  // Four viewers at once: the signaling node counts its admissions in flight, so two and only
  // two take the origin's places.
  std::vector<ChildProcess*> viewers;
  for (const auto& viewer : kViewers)
    viewers.push_back(&watch(master_number, viewer));
  for (auto* viewer : viewers)
    ASSERT_TRUE(wait_for_output(*viewer, "step 714: first frame", within(40s)));

  std::set<std::string> edges;
  std::vector<std::size_t> on_edge;
  for (std::size_t i = 0; i < kViewers.size(); ++i) {
    if (auto edge = edge_of(kViewers[i])) {
      edges.insert(*edge);
      on_edge.push_back(i);
    }
  }
  ASSERT_EQ(on_edge.size(), 2U) << "viewers on an edge; signaling log:\n" << sig_->log_tail();
  ASSERT_EQ(edges.size(), 1U) << "the second overflow viewer joins the first one's edge";
  const std::string edge = *edges.begin();
  EXPECT_NE(edge, *origin);
  std::printf("[measured] origin %s, edge %s, viewers on the edge: %s %s\n", origin->c_str(),
              edge.c_str(), kViewers[on_edge[0]].c_str(), kViewers[on_edge[1]].c_str());
  // The edge pulls the group once.
  EXPECT_TRUE(media_[edge]->wait_for_log("pulling the group from its origin", 1s));
  const std::string edge_log = file_tail(media_[edge]->log_path(), 1 << 24);
  std::size_t pulls = 0;
  for (auto at = edge_log.find("pulling the group from its origin"); at != std::string::npos;
       at = edge_log.find("pulling the group from its origin", at + 1)) {
    ++pulls;
  }
  EXPECT_EQ(pulls, 1U) << edge_log;

  // A few seconds of watching, then all four hang up together: each decoded about as many
  // frames (the edge's viewers started within a second or two of the others).
  std::this_thread::sleep_for(within(6s));
  for (auto* viewer : viewers)
    viewer->send_signal(SIGINT);
  std::vector<std::int64_t> frames;
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    EXPECT_TRUE(viewers[i]->wait_for(within(15s))) << output(*viewers[i]);
    const auto figures = stats("watch-" + kViewers[i]);
    ASSERT_TRUE(figures) << kViewers[i] << ": no stats\n" << output(*viewers[i]);
    frames.push_back(figures->value("frames_decoded", std::int64_t{0}));
    std::printf("[measured] viewer %s on %s: %lld frames decoded\n", kViewers[i].c_str(),
                edge_of(kViewers[i]).value_or(*origin).c_str(),
                static_cast<long long>(frames.back()));
  }
  const auto [fewest, most] = std::minmax_element(frames.begin(), frames.end());
  EXPECT_GE(*fewest, 4 * 15) << "at 15 fps for 6 s, every viewer decodes";
  EXPECT_LE(*most - *fewest, 3 * 15) << "the same stream, joined within seconds";

  // Its viewers gone, the edge drops its pull after the linger and leaves the group's edges;
  // the broadcast plays on.
  EXPECT_TRUE(media_[edge]->wait_for_log("reason=edge_closed", within(15s)))
      << media_[edge]->log_tail();
  EXPECT_TRUE(media_[edge]->wait_for_log("no longer an edge of it", within(5s)))
      << media_[edge]->log_tail();
  EXPECT_TRUE(master.running()) << output(master);
}

}  // namespace cluster_placement
}  // namespace callcast::test
