// Issue 15, the SIP front: Kamailio (config/kamailio/kamailio.cfg, started as an operator does by
// scripts/kamailio-front.sh) in front of two callcastd signaling nodes sharing one media node and
// one Redis, every one on a host of its own (network namespaces on one bridge), the terminals on
// two more:
//
//   kam 10.99.0.1   sig1 .2   sig2 .3   media1 .4   pub .5 (broadcasters)   view .6 (viewers)
//   redis .7
//
// Terminals know only Kamailio's address. Every dialog of a broadcast lands on the signaling
// node its broadcaster's number hashes to, another number can land on the other node, a killed
// node is taken out by the probes within seconds and its numbers go to the other one, and it
// comes back in when it answers again. The nodes share the users file, and through Redis
// (cluster.redis_url) the forwarding rules and the registrations; the broadcasts a dead node
// held live on in the media node, where the survivor finds them when their viewers call.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/redis_client.hpp"
#include "support/baresip_phone.hpp"
#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/http_client.hpp"
#include "support/kamailio_front.hpp"
#include "support/lab_terminals.hpp"
#include "support/media_tools.hpp"
#include "support/netns_lab.hpp"
#include "support/netns_scope.hpp"
#include "support/raw_sip_peer.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace cluster_front {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "secret-pass";
constexpr const char* kMediaKey = "cluster-media-key";
// One secret per cluster: the media node's tokens, and the signaling nodes' digest nonces, which
// any node then accepts (a retry with credentials may reach another node than the challenge).
constexpr const char* kClusterSecret = "cluster-secret";
constexpr std::uint16_t kSipPort = 5060;
constexpr std::uint16_t kMediaHttpPort = 8080;
constexpr std::uint16_t kSignalingHttpPort = 8081;
constexpr int kPingIntervalS = 2;
// Broadcaster numbers the test picks from by their hash slot; viewers watch with their own.
const std::vector<std::string> kBroadcasterCandidates = {
    "13800000001", "13800000002", "13800000003", "13800000004", "13800000005",
    "13800000006", "13800000007", "13800000008", "13800000009", "13800000010"};
const std::vector<std::string> kViewers = {"13900000011", "13900000012", "13900000013",
                                           "13900000014"};

// The whole test, however its waits go, ends within this (CTest allows more).
constexpr auto kTestBudget = 110s;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class ClusterFrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deadline_ = Clock::now() + kTestBudget;
    if (auto reason = NetnsLab::unavailable_reason()) {
      GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
    }
    if (auto reason = KamailioFront::unavailable_reason()) GTEST_SKIP() << *reason;
    const std::string missing = missing_tools();
    ASSERT_TRUE(missing.empty()) << "tools missing: " << missing;
    dir_ = std::make_unique<TempDir>("cluster-front");
    lab_ = std::make_unique<NetnsLab>(
        dir_->path(),
        std::vector<std::string>{"kam", "sig1", "sig2", "media1", "pub", "view", "redis"});
    ASSERT_TRUE(lab_->ok()) << "cannot build the lab: " << lab_->error();
    terminals_ = std::make_unique<LabTerminals>(
        *lab_, dir(), CALLCAST_PATH, lab_->host("kam").address + ":" + std::to_string(kSipPort),
        kPassword);
    std::filesystem::create_directories(dir() / "redis");
    redis_ = std::make_unique<RedisServer>(
        dir() / "redis",
        RedisServerPlace{lab_->in(lab_->host("redis"), {}), lab_->host("redis").netns,
                         lab_->host("redis").address, 6379});
    ASSERT_TRUE(redis_->started()) << redis_->error();

    media_ = start_node("media1", "media");
    ASSERT_TRUE(media_);
    sig_[0] = start_node("sig1", "signaling");
    sig_[1] = start_node("sig2", "signaling");
    ASSERT_TRUE(sig_[0] && sig_[1]);

    KamailioFrontOptions front;
    front.script = KAMAILIO_FRONT_SCRIPT;
    front.exec_prefix = lab_->in(lab_->host("kam"), {});
    front.listen = lab_->host("kam").address;
    front.port = kSipPort;
    front.nodes = {node_address(0), node_address(1)};
    front.ping_interval_s = kPingIntervalS;
    kamailio_ = std::make_unique<KamailioFront>(dir() / "kamailio", front);
    ASSERT_TRUE(kamailio_->start());
  }

  void TearDown() override {
    terminals_.reset();  // their BYEs still find Kamailio and the nodes
    sig_[0].reset();
    sig_[1].reset();
    kamailio_.reset();
    media_.reset();
    redis_.reset();
    lab_.reset();
  }

  const std::filesystem::path& dir() const { return dir_->path(); }
  // `timeout`, cut down to what is left of the test's budget.
  std::chrono::milliseconds within(std::chrono::milliseconds timeout) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(timeout, left));
  }
  std::string node_address(int index) const {
    return lab_->host(index == 0 ? "sig1" : "sig2").address + ":" + std::to_string(kSipPort);
  }
  std::string node_uri(int index) const { return "sip:" + node_address(index); }

  std::unique_ptr<CallcastServer> start_node(const std::string& host, const std::string& role) {
    const auto where = dir() / host;
    std::filesystem::create_directories(where);
    ServerOptions options;
    options.role = role;
    options.exec_prefix = lab_->in(lab_->host(host), {});
    options.http =
        "0.0.0.0:" + std::to_string(role == "media" ? kMediaHttpPort : kSignalingHttpPort);
    if (role == "media") {
      options.rtsp = "0.0.0.0:8554";
      options.rtp_ports = "8000-8001";
      // The signaling nodes are on other hosts: the control API answers them with the key.
      options.config_toml = std::string("token_secret = \"") + kClusterSecret +
                            "\"\n[http]\napi_key = \"" + kMediaKey +
                            "\"\n[media]\npublisher_grace_s = 5\n";
    } else {
      options.sip = "0.0.0.0:" + std::to_string(kSipPort);
      for (const auto& number : kBroadcasterCandidates)
        options.users.emplace_back(number, kPassword);
      for (const auto& number : kViewers)
        options.users.emplace_back(number, kPassword);
      options.users_file = dir() / "users";
      options.forwarding_db = dir() / "forwarding.sqlite";
      options.extra_args = {"--media-url", "http://" + lab_->host("media1").address + ":" +
                                               std::to_string(kMediaHttpPort)};
      // The Ut API a broadcaster is told is this node's own (the Request-URI names Kamailio);
      // what Kamailio relays is read for the terminal's address below Kamailio's Via.
      // Forwarding rules and registrations in the cluster's Redis (cluster.redis_url).
      options.config_toml = std::string("token_secret = \"") + kClusterSecret +
                            "\"\n[sip]\ntrusted_proxies = [\"" + lab_->host("kam").address +
                            "\"]\nmedia_api_key = \"" + kMediaKey +
                            "\"\n[http]\npublic_url = \"http://" + lab_->host(host).address + ":" +
                            std::to_string(kSignalingHttpPort) + "\"\n[cluster]\nredis_url = \"" +
                            redis_->url() + "\"\nnode_id = \"" + host + "\"\n";
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
    return LabTerminals::wait_for_output(child, text, timeout);
  }

  // Live, with its forwarding set (through the Ut API of the node that answered it).
  ::testing::AssertionResult wait_live(ChildProcess& master) {
    auto live = wait_for_output(master, "step 707", within(30s));
    if (!live) return live;
    return wait_for_output(master, "now forward to the service number", within(10s));
  }

  // The node (0 or 1) whose log shows `text`, -1 when neither or both do.
  int node_logging(const std::string& text) const {
    int found = -1;
    for (int i = 0; i < 2; ++i) {
      if (!sig_[i]) continue;
      const std::string log = file_tail(sig_[i]->log_path(), 1 << 24) +
                              file_tail(sig_[i]->log_path().string() + ".killed", 1 << 24);
      if (log.find(text) == std::string::npos) continue;
      if (found != -1) return -1;
      found = i;
    }
    return found;
  }
  int node_of_uri(const std::string& uri) const {
    for (int i = 0; i < 2; ++i) {
      if (uri == node_uri(i)) return i;
    }
    return -1;
  }

  // The signaling state of node `index`, read on its own host (its admin API answers loopback).
  std::optional<nlohmann::json> signaling_state(int index) const {
    NetnsScope inside(lab_->host(index == 0 ? "sig1" : "sig2").netns);
    if (!inside.ok()) return std::nullopt;
    const auto reply = HttpClient("127.0.0.1", kSignalingHttpPort).get("/v1/signaling");
    if (reply.status != 200) return std::nullopt;
    auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }
  bool broadcasts_live(int index, const std::string& group) const {
    const auto state = signaling_state(index);
    if (!state) return false;
    for (const auto& broadcast : state->value("broadcast_list", nlohmann::json::array())) {
      if (broadcast.value("group", "") == group && broadcast.value("state", "") == "live") {
        return true;
      }
    }
    return false;
  }

  // A query REGISTER (no Contact) for `number`, digest-signed, straight to node `index` on its
  // own host: the Contact values of the 200, or the failure.
  std::vector<std::string> contacts_known_to(int index, const std::string& number) const {
    NetnsScope inside(lab_->host(index == 0 ? "sig1" : "sig2").netns);
    EXPECT_TRUE(inside.ok()) << inside.error();
    RawSipPeer peer(sipua::Transport::udp, kSipPort);
    EXPECT_TRUE(peer.ok()) << peer.error();
    if (!inside.ok() || !peer.ok()) return {};
    RawSipRequest query;
    query.method = "REGISTER";
    query.from_user = number;
    query.call_id = "query-" + number;
    const auto answer = peer.send_authenticated(query, kPassword, "MD5", within(5s));
    EXPECT_TRUE(answer) << "no answer to the query REGISTER";
    if (!answer) return {};
    EXPECT_EQ(sip_status(*answer), 200) << *answer;
    return sip_header_values(*answer, "Contact");
  }

  // The forwarding rule of `number` in the cluster's Redis ("<none>" without one).
  std::string forwarding_in_redis(const std::string& number) const {
    NetnsScope inside(lab_->host("redis").netns);
    if (!inside.ok()) return "<error> " + inside.error();
    cluster::RedisClient redis(redis_->address());
    auto target = redis.string_or_nil({"GET", cluster::keys::forwarding(number)});
    if (!target) return "<error> " + target.error();
    return target->value_or("<none>");
  }

  Clock::time_point deadline_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<CallcastServer> media_;
  std::unique_ptr<CallcastServer> sig_[2];
  std::unique_ptr<KamailioFront> kamailio_;
  std::unique_ptr<LabTerminals> terminals_;  // after the lab, before the servers end
};

TEST_F(ClusterFrontTest, DialogsOfABroadcastShareANodeAndADeadNodeIsTakenOut) {
  // Which slot each candidate number hashes to, as Kamailio computes it (dispatcher algorithm 7
  // over the broadcaster's number): A and B on different slots, C and D on A's.
  std::vector<int> slots;
  std::string spread;
  for (const auto& number : kBroadcasterCandidates) {
    const auto slot = kamailio_->hash_slot(number, 2);
    ASSERT_TRUE(slot) << "dispatcher.hash failed for " << number << "\n" << kamailio_->log_tail();
    slots.push_back(*slot);
    spread += " " + number + "->" + std::to_string(*slot);
  }
  std::printf("[measured] hash slots over 2 nodes:%s\n", spread.c_str());
  const std::string a = kBroadcasterCandidates[0];
  std::string b;
  std::vector<std::string> same_as_a;  // C and D
  for (std::size_t i = 1; i < slots.size(); ++i) {
    if (b.empty() && slots[i] != slots[0]) b = kBroadcasterCandidates[i];
    if (slots[i] == slots[0]) same_as_a.push_back(kBroadcasterCandidates[i]);
  }
  ASSERT_FALSE(b.empty() || same_as_a.size() < 2) << "the candidates do not spread:" << spread;
  const std::string c = same_as_a[0];
  const std::string d = same_as_a[1];

  // Two broadcasts and a viewer of each, through Kamailio only.
  ChildProcess& master_a = broadcast(a);
  ChildProcess& master_b = broadcast(b);
  ASSERT_TRUE(wait_live(master_a));
  ASSERT_TRUE(wait_live(master_b));
  ChildProcess& viewer_a = watch(a, kViewers[0]);
  ChildProcess& viewer_b = watch(b, kViewers[1]);
  ASSERT_TRUE(wait_for_output(viewer_a, "step 714: first frame", within(30s)));
  ASSERT_TRUE(wait_for_output(viewer_b, "step 714: first frame", within(30s)));

  // Every dialog of a broadcast on one node, as Kamailio routed it and as the nodes saw it.
  const int node_a =
      node_logging("group=" + a + " terminal=" + a + " step=701 event=broadcast_invite");
  const int node_b =
      node_logging("group=" + b + " terminal=" + b + " step=701 event=broadcast_invite");
  ASSERT_NE(node_a, -1) << "exactly one node must hold the broadcast of " << a;
  ASSERT_NE(node_b, -1) << "exactly one node must hold the broadcast of " << b;
  EXPECT_NE(node_a, node_b) << a << " and " << b << " hash to different slots";
  EXPECT_EQ(
      node_logging("group=" + a + " terminal=" + kViewers[0] + " step=710 event=viewer_invite"),
      node_a);
  EXPECT_EQ(
      node_logging("group=" + b + " terminal=" + kViewers[1] + " step=710 event=viewer_invite"),
      node_b);
  for (const auto& [key, node] : {std::pair{a, node_a}, std::pair{b, node_b}}) {
    const auto routed = kamailio_->dispatched_nodes("INVITE", key);
    ASSERT_FALSE(routed.empty()) << kamailio_->log_tail();
    for (const auto& uri : routed)
      EXPECT_EQ(node_of_uri(uri), node) << key << " went to " << uri;
  }
  EXPECT_TRUE(broadcasts_live(node_a, a));
  EXPECT_TRUE(broadcasts_live(node_b, b));
  // In-dialog requests of the node reach the terminal through the Record-Route: the audience
  // INFO (the 183's PRACK and the 200's ACK went the other way, or the broadcast would not be
  // live).
  EXPECT_TRUE(wait_for_output(master_a, "step=709 audience viewers=1", within(10s)));
  std::printf("[measured] %s -> %s, %s -> %s (broadcast and viewer dialogs alike)\n", a.c_str(),
              node_uri(node_a).c_str(), b.c_str(), node_uri(node_b).c_str());

  // A's node dies (SIGKILL by its PID). The probes take it out.
  const int survivor = 1 - node_a;
  const auto killed_at = Clock::now();
  const ExitStatus killed = sig_[node_a]->kill();
  EXPECT_FALSE(killed.exited) << killed.describe();
  ASSERT_TRUE(kamailio_->wait_for_log("callcast: node down " + node_uri(node_a), within(10s)))
      << kamailio_->log_tail();
  const double taken_out_s = seconds_since(killed_at);
  EXPECT_LE(taken_out_s, 2.0 * kPingIntervalS + 1.5) << "one probe interval plus its timeout";
  EXPECT_EQ(kamailio_->node_flags()[node_uri(node_a)].substr(0, 1), "I");
  EXPECT_EQ(kamailio_->node_flags()[node_uri(survivor)].substr(0, 1), "A");
  std::printf("[measured] killed %s: taken out by Kamailio after %.2f s (ping interval %d s)\n",
              node_uri(node_a).c_str(), taken_out_s, kPingIntervalS);

  // A's broadcast lives on in the media node (its old viewer plays on), its dialogs died with
  // the node. A new viewer calling A's number through Kamailio reaches the survivor, which finds
  // the group live on the media side, adopts it and admits the viewer as A's node would have.
  EXPECT_EQ(node_logging("terminal=" + a + " event=registered"), node_a);
  const auto late_at = Clock::now();
  ChildProcess& late_a = watch(a, kViewers[2]);
  ASSERT_TRUE(wait_for_output(late_a, "step 714: first frame", within(30s)));
  std::printf("[measured] a new viewer of %s (held by the dead node) decodes after %.2f s\n",
              a.c_str(), seconds_since(late_at));
  EXPECT_EQ(
      node_logging("group=" + a + " terminal=" + kViewers[2] + " step=710 event=viewer_invite"),
      survivor);
  EXPECT_EQ(node_logging("group=" + a + " terminal=" + a + " step=703 event=broadcast_adopted"),
            survivor);
  EXPECT_TRUE(broadcasts_live(survivor, a));
  EXPECT_TRUE(viewer_a.running()) << "the old viewer of " << a << " plays on:\n"
                                  << output(viewer_a);

  // A's terminal registered through the dead node; the survivor knows its contact (Redis).
  const auto contacts = contacts_known_to(survivor, a);
  ASSERT_EQ(contacts.size(), 1u) << "the registration of " << a << " made through the dead node";
  EXPECT_NE(contacts[0].find("sip:" + lab_->host("pub").address + ":"), std::string::npos)
      << contacts[0];

  // A hangs up. Its BYE follows the dialog's route set to the dead node, where Kamailio's
  // transaction times out (its in-dialog timer): no node ends the broadcast from SIP. The media
  // node does: the terminal tears its RTSP session down, the group closes, and the survivor,
  // hearing group_closed, sends its viewer a BYE and clears A's forwarding (its owner, dead,
  // cannot; the terminal's own Ut request went to the dead node's API too).
  const auto hung_up_at = Clock::now();
  ASSERT_TRUE(master_a.send_signal(SIGINT));
  const auto late_a_end = late_a.wait_for(within(20s));
  ASSERT_TRUE(late_a_end) << output(late_a);
  EXPECT_TRUE(late_a_end->success()) << output(late_a);
  EXPECT_NE(output(late_a).find("BYE from the network side"), std::string::npos) << output(late_a);
  std::printf("[measured] %s hung up through the dead node: its new viewer got BYE after %.2f s\n",
              a.c_str(), seconds_since(hung_up_at));
  EXPECT_TRUE(wait_until([&] { return !broadcasts_live(survivor, a); }, within(5s)));
  EXPECT_TRUE(wait_until([&] { return forwarding_in_redis(a) == "<none>"; }, within(5s)))
      << forwarding_in_redis(a);
  const auto old_viewer_end = viewer_a.wait_for(within(20s));
  EXPECT_TRUE(old_viewer_end) << "the old viewer of " << a << " (its dialog on the dead node):\n"
                              << output(viewer_a);
  const auto master_a_end = master_a.wait_for(within(20s));
  ASSERT_TRUE(master_a_end) << output(master_a);
  std::printf("[measured] %s's own end: %s after %.2f s; its old viewer: %s\n", a.c_str(),
              master_a_end->describe().c_str(), seconds_since(hung_up_at),
              old_viewer_end ? old_viewer_end->describe().c_str() : "still running");

  // A new broadcast of a number that hashed to the dead node, and its viewer: both on the
  // survivor, through Kamailio.
  ChildProcess& master_c = broadcast(c);
  ASSERT_TRUE(wait_live(master_c));
  ChildProcess& viewer_c = watch(c, kViewers[3]);
  ASSERT_TRUE(wait_for_output(viewer_c, "step 714: first frame", within(30s)));
  for (const auto& uri : kamailio_->dispatched_nodes("INVITE", c))
    EXPECT_EQ(node_of_uri(uri), survivor) << c << " went to " << uri;
  EXPECT_EQ(
      node_logging("group=" + c + " terminal=" + kViewers[3] + " step=710 event=viewer_invite"),
      survivor);
  EXPECT_TRUE(broadcasts_live(survivor, c));

  // The dead node comes back on its addresses: the next answered probe brings it in.
  sig_[node_a]->keep_addresses();
  const auto restarted_at = Clock::now();
  ASSERT_TRUE(sig_[node_a]->start());
  ASSERT_TRUE(kamailio_->wait_for_log("callcast: node up " + node_uri(node_a), within(10s)))
      << kamailio_->log_tail();
  std::printf("[measured] %s restarted: back in Kamailio after %.2f s\n", node_uri(node_a).c_str(),
              seconds_since(restarted_at));
  EXPECT_EQ(kamailio_->node_flags()[node_uri(node_a)].substr(0, 1), "A");

  // Back, it found C's broadcast live on the media node (the survivor holds its dialogs): a
  // group without a dialog here, adopted at its resync. Its graceful stop (SIGTERM, as in a
  // rolling restart) must leave that broadcast to the cluster: C's group, its forwarding and its
  // viewer go on. (The node once closed every group it had found, other nodes' included.)
  ASSERT_TRUE(sig_[node_a]->wait_for_log(
      "group=" + c + " terminal=" + c + " step=703 event=broadcast_", within(10s)))
      << sig_[node_a]->log_tail();
  const ExitStatus stopped = sig_[node_a]->stop();
  EXPECT_TRUE(stopped.success()) << stopped.describe();
  std::this_thread::sleep_for(1s);  // a group_closed would reach the survivor within this
  EXPECT_TRUE(broadcasts_live(survivor, c));
  EXPECT_TRUE(viewer_c.running()) << output(viewer_c);
  EXPECT_TRUE(master_c.running()) << output(master_c);
  EXPECT_EQ(forwarding_in_redis(c), "777");
  ASSERT_TRUE(wait_until(
      [&] { return kamailio_->node_flags()[node_uri(node_a)].substr(0, 1) == "I"; }, within(10s)))
      << kamailio_->log_tail();
  sig_[node_a]->keep_addresses();
  ASSERT_TRUE(sig_[node_a]->start());
  ASSERT_TRUE(wait_until(
      [&] { return kamailio_->node_flags()[node_uri(node_a)].substr(0, 1) == "A"; }, within(10s)))
      << kamailio_->log_tail();

  // It dies again, and a broadcast of its numbers starts at once, before a probe has noticed
  // (most runs): its REGISTER times out at the dead node, which the failure route takes out,
  // and goes on to the survivor, as does everything after. Noticed first or not, D is live on
  // the survivor.
  const auto killed_again_at = Clock::now();
  sig_[node_a]->kill();
  ChildProcess& master_d = broadcast(d);
  ASSERT_TRUE(wait_live(master_d));
  for (const auto& uri : kamailio_->dispatched_nodes("INVITE", d))
    EXPECT_EQ(node_of_uri(uri), survivor) << d << " went to " << uri;
  EXPECT_TRUE(broadcasts_live(survivor, d));
  const bool failed_over =
      kamailio_->log_tail(1 << 24).find("callcast: node " + node_uri(node_a) + " did not answer") !=
      std::string::npos;
  std::printf("[measured] killed %s again, broadcast of %s at once: live on %s after %.2f s (%s)\n",
              node_uri(node_a).c_str(), d.c_str(), node_uri(survivor).c_str(),
              seconds_since(killed_again_at),
              failed_over ? "a request timed out at the dead node and went on to the next"
                          : "a probe had taken it out first");

  // B's broadcaster hangs up: its node's BYE reaches B's viewer through Kamailio.
  ASSERT_TRUE(master_b.send_signal(SIGINT));
  const auto viewer_b_end = viewer_b.wait_for(within(20s));
  ASSERT_TRUE(viewer_b_end) << output(viewer_b);
  EXPECT_TRUE(viewer_b_end->success()) << output(viewer_b);
  EXPECT_NE(output(viewer_b).find("BYE from the network side"), std::string::npos)
      << output(viewer_b);
  const auto master_b_end = master_b.wait_for(within(20s));
  ASSERT_TRUE(master_b_end) << output(master_b);
  EXPECT_TRUE(master_b_end->success()) << output(master_b);
}

// A SIP phone (baresip, issue 13) broadcasts through Kamailio: its INVITE reaches the node with
// Kamailio's Via on top, and the phone's own address, which its RTP comes from, below it.
TEST_F(ClusterFrontTest, APhoneBroadcastsThroughKamailioAndATerminalWatchesIt) {
  ASSERT_EQ(baresip_missing(), "");
  const std::string master = kBroadcasterCandidates[0];
  const auto camera = dir() / "camera.mp4";
  ASSERT_TRUE(make_camera_file(camera, 30));
  BaresipPhone phone{dir() / "phone", master,
                     kPassword,       lab_->host("kam").address + ":" + std::to_string(kSipPort),
                     "777",           20,
                     camera,          lab_->host("pub").address};
  ChildOptions options = baresip_phone(phone);
  options.argv = lab_->in(lab_->host("pub"), std::move(options.argv));
  ChildProcess& phone_process = terminals_->adopt(std::move(options));
  ASSERT_TRUE(phone_process.started()) << phone_process.error();

  // The node its number hashes to takes the phone's RTP from the phone's address, not from
  // Kamailio's (where the INVITE came from).
  const std::string publishing = "terminal=" + master + " step=705 event=phone_publishing";
  ASSERT_TRUE(wait_until([&] { return node_logging(publishing) != -1; }, within(15s)))
      << "no node took the phone's media; the phone's log:\n"
      << file_text(dir() / "phone" / "stdout.log");
  const int node = node_logging(publishing);
  EXPECT_EQ(node_logging("terminal=" + master + " step=704 event=phone_broadcast"), node);
  const std::string log = file_tail(sig_[node]->log_path(), 1 << 24);
  const auto line = log.substr(log.find("step=704 event=phone_broadcast"));
  EXPECT_NE(line.substr(0, line.find('\n')).find("source=" + lab_->host("pub").address),
            std::string::npos)
      << line.substr(0, line.find('\n'));

  ChildProcess& viewer = watch(master, kViewers[0]);
  ASSERT_TRUE(wait_for_output(viewer, "step 714: first frame", within(30s)))
      << "the phone's log:\n"
      << file_text(dir() / "phone" / "stdout.log");
  EXPECT_EQ(node_logging("group=" + master + " terminal=" + kViewers[0] +
                         " step=710 event=viewer_invite"),
            node);
}

// The named lab refuses names it cannot make interfaces and namespaces of, before it makes any.
TEST(NamedNetnsLabTest, NamedHostsAreCheckedBeforeAnythingIsBuilt) {
  if (auto reason = NetnsLab::unavailable_reason()) {
    GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
  }
  TempDir dir("cluster-lab");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"sig1", "sig1"}, "given twice"},
      {{"lan"}, "not \"lan\""},
      {{"a-name-too-long"}, "1 to 12 letters"},
      {{"sig 1"}, "1 to 12 letters"},
      {{}, "1 to 250 hosts"},
  };
  for (const auto& [names, error] : cases) {
    const NetnsLab lab(dir.path(), names);
    EXPECT_FALSE(lab.ok());
    EXPECT_NE(lab.error().find(error), std::string::npos) << lab.error();
    EXPECT_TRUE(lab.hosts().empty());
  }
}

}  // namespace cluster_front
}  // namespace callcast::test
