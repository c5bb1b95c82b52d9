// callcastd's roles assembled in this process, on OS-chosen ports: start() serves what the role
// serves, stop() ends run(), a bad configuration is one error line and nothing left listening.
#include "daemon.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "auth/user_directory.hpp"
#include "cluster/redis_client.hpp"
#include "http_test_client.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace callcast {
namespace {

using http::test::TestClient;

class DaemonTest : public ::testing::Test {
 protected:
  core::Config config(core::Role role) const {
    core::Config c;
    c.role = role;
    c.media.rtsp = {"127.0.0.1", 0};
    c.media.rtp_ports = {0, 0};
    c.media.workers = 1;
    c.http.listen = {"127.0.0.1", 0};
    c.sip.listen = {"127.0.0.1", 0};
    c.sip.users_file = (dir_ / "users").string();
    c.sip.forwarding_db = (dir_ / "forwarding.sqlite").string();
    c.token_secret = "daemon-test-secret";
    return c;
  }

  // Starts `daemon` and runs its loop on a thread of its own.
  DaemonAddresses start(Daemon& daemon) {
    auto started = daemon.start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error());
    loop_ = std::thread([&daemon] { daemon.run(); });
    return started.ok() ? *started : DaemonAddresses{};
  }

  void stop(Daemon& daemon) {
    daemon.stop();
    if (loop_.joinable()) loop_.join();  // run() returns once everything has stopped
  }

  static int status_of(std::uint16_t port, std::string_view target) {
    TestClient client(port);
    const auto reply = client.request("GET", target);
    return reply ? reply->status : 0;
  }

  static bool accepts_connections(std::uint16_t port) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
  }

  // "<status> <body>" of a Ut request made by curl --digest as 1001.
  std::string ut_request(const std::string& method, const std::string& url,
                         const std::string& body = {}) const {
    const std::filesystem::path out = dir_ / "curl-body";
    std::filesystem::remove(out);
    std::vector<std::string> argv{"curl",      "--silent",     "--show-error", "--digest",
                                  "--user",    "1001:pw-1001", "--max-time",   "10",
                                  "--output",  out.string(),   "--write-out",  "%{http_code}",
                                  "--request", method};
    if (!body.empty()) {
      argv.insert(argv.end(),
                  {"--header", "Content-Type: application/json", "--data-binary", body});
    }
    argv.push_back(url);
    test::ChildOptions options;
    options.argv = argv;
    options.stdout_file = dir_ / "curl-status";
    options.stderr_file = dir_ / "curl-err";
    test::ChildProcess curl(std::move(options));
    const auto status = curl.wait_for(std::chrono::seconds(15));
    if (!status || !status->success()) return "curl failed: " + curl.stderr_tail();
    return test::file_text(dir_ / "curl-status") + " " + test::file_text(out);
  }

  test::TempDir dir_{"daemon"};
  std::thread loop_;
};

TEST_F(DaemonTest, RoleAllServesMediaSignalingAndTheApisThenStops) {
  Daemon daemon(config(core::Role::all));
  const DaemonAddresses addresses = start(daemon);
  ASSERT_TRUE(addresses.rtsp.has_value());
  ASSERT_TRUE(addresses.rtp_ports.has_value());
  ASSERT_TRUE(addresses.sip.has_value());
  EXPECT_NE(addresses.rtsp->port, 0);
  EXPECT_NE(addresses.rtp_ports->rtp, 0);
  EXPECT_NE(addresses.sip->port, 0);
  const std::uint16_t http_port = addresses.http.port;
  ASSERT_NE(http_port, 0);
  EXPECT_EQ(status_of(http_port, "/healthz"), 200);
  EXPECT_EQ(status_of(http_port, "/v1/groups"), 200);
  EXPECT_EQ(status_of(http_port, "/v1/signaling"), 200);
  EXPECT_TRUE(accepts_connections(addresses.rtsp->port));

  stop(daemon);
  EXPECT_FALSE(accepts_connections(http_port));
  EXPECT_FALSE(accepts_connections(addresses.rtsp->port));
}

TEST_F(DaemonTest, RoleMediaHasNoSignaling) {
  Daemon daemon(config(core::Role::media));
  const DaemonAddresses addresses = start(daemon);
  EXPECT_TRUE(addresses.rtsp.has_value());
  EXPECT_FALSE(addresses.sip.has_value());
  EXPECT_EQ(status_of(addresses.http.port, "/v1/groups"), 200);
  EXPECT_EQ(status_of(addresses.http.port, "/v1/signaling"), 404);
  stop(daemon);
}

TEST_F(DaemonTest, RoleSignalingUsesTheMediaRoleOverHttp) {
  Daemon media(config(core::Role::media));
  const DaemonAddresses media_addresses = start(media);
  std::thread media_loop = std::move(loop_);

  core::Config signaling_config = config(core::Role::signaling);
  signaling_config.sip.media_url = "http://127.0.0.1:" + std::to_string(media_addresses.http.port);
  Daemon signaling(signaling_config);
  const DaemonAddresses addresses = start(signaling);
  EXPECT_FALSE(addresses.rtsp.has_value());
  EXPECT_FALSE(addresses.rtp_ports.has_value());
  EXPECT_TRUE(addresses.sip.has_value());
  EXPECT_EQ(status_of(addresses.http.port, "/healthz"), 200);
  EXPECT_EQ(status_of(addresses.http.port, "/v1/signaling"), 200);
  // The admin API is media's: the signaling role reads its groups from there (for the console)
  // and changes none.
  TestClient client(addresses.http.port);
  const auto groups = client.request("GET", "/v1/groups");
  ASSERT_TRUE(groups) << client.error();
  EXPECT_EQ(groups->status, 200) << groups->body;
  EXPECT_EQ(groups->body, R"({"groups":[]})");
  EXPECT_EQ(status_of(addresses.http.port, "/v1/groups/13800000001"), 404);
  const auto create = client.request("POST", "/v1/groups", R"({"master":"13800000001"})");
  ASSERT_TRUE(create) << client.error();
  EXPECT_EQ(create->status, 405) << create->body;
  stop(signaling);

  media.stop();
  media_loop.join();
}

// Issue 14: the pages of http.web_root beside the admin API.
TEST_F(DaemonTest, WebRootPagesAreServedBesideTheAdminApi) {
  const auto web = dir_ / "web";
  std::filesystem::create_directories(web / "assets");
  std::ofstream(web / "index.html") << "<!doctype html><title>console</title>";
  std::ofstream(web / "watch.html") << "<!doctype html><title>watch</title>";
  std::ofstream(web / "assets" / "console.js") << "export {};";
  core::Config with_pages = config(core::Role::all);
  with_pages.http.web_root = web.string();
  Daemon daemon(with_pages);
  const DaemonAddresses addresses = start(daemon);
  EXPECT_EQ(status_of(addresses.http.port, "/"), 200);
  EXPECT_EQ(status_of(addresses.http.port, "/watch"), 200);
  EXPECT_EQ(status_of(addresses.http.port, "/assets/console.js"), 200);
  EXPECT_EQ(status_of(addresses.http.port, "/broadcast"), 404);  // not in this root
  EXPECT_EQ(status_of(addresses.http.port, "/v1/groups"), 200);  // the admin API is unchanged
  stop(daemon);
}

// Roles apart, the signaling role serves the pages too: theirs are the calls by number the watch
// and broadcast pages make on their own origin (issue 14).
TEST_F(DaemonTest, TheSignalingRoleServesThePagesToo) {
  const auto web = dir_ / "web";
  std::filesystem::create_directories(web);
  std::ofstream(web / "index.html") << "<!doctype html><title>console</title>";
  std::ofstream(web / "watch.html") << "<!doctype html><title>watch</title>";
  std::ofstream(web / "broadcast.html") << "<!doctype html><title>broadcast</title>";
  Daemon media(config(core::Role::media));
  const DaemonAddresses media_addresses = start(media);
  std::thread media_loop = std::move(loop_);

  core::Config signaling_config = config(core::Role::signaling);
  signaling_config.sip.media_url = "http://127.0.0.1:" + std::to_string(media_addresses.http.port);
  signaling_config.http.web_root = web.string();
  Daemon signaling(signaling_config);
  const DaemonAddresses addresses = start(signaling);
  for (const char* page : {"/", "/watch", "/broadcast"})
    EXPECT_EQ(status_of(addresses.http.port, page), 200) << page;
  stop(signaling);

  media.stop();
  media_loop.join();
}

TEST_F(DaemonTest, SignalingWithoutMediaUrlIsAClearError) {
  Daemon daemon(config(core::Role::signaling));
  const auto started = daemon.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().find("--role signaling needs --media-url"), std::string::npos);
}

TEST_F(DaemonTest, BusyHttpPortIsAnErrorAndTheRunningDaemonIsUndisturbed) {
  Daemon first(config(core::Role::media));
  const DaemonAddresses taken = start(first);
  std::thread first_loop = std::move(loop_);

  core::Config clash = config(core::Role::all);
  clash.http.listen.port = taken.http.port;
  {
    Daemon second(clash);
    const auto started = second.start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().find("cannot listen on 127.0.0.1:" + std::to_string(taken.http.port)),
              std::string::npos)
        << started.error();
  }
  EXPECT_EQ(status_of(taken.http.port, "/healthz"), 200);  // the first one is undisturbed
  first.stop();
  first_loop.join();
}

// Issue 15: with cluster.redis_url the signaling side keeps its forwarding rules in the cluster's
// Redis (what a terminal set through one node is what every node reads), not in its SQLite file.
TEST_F(DaemonTest, ClusterKeepsTheForwardingRulesInRedis) {
  test::RedisServer redis(dir_.path());
  ASSERT_TRUE(redis.started()) << redis.error();
  core::Config clustered = config(core::Role::all);
  clustered.cluster.redis_url = "tcp://127.0.0.1:" + std::to_string(redis.port());
  ASSERT_TRUE(
      auth::add_user(clustered.sip.users_file, clustered.sip.realm, "1001", "pw-1001").ok());
  Daemon daemon(clustered);
  const DaemonAddresses addresses = start(daemon);
  const std::string rule_url = "http://127.0.0.1:" + std::to_string(addresses.http.port) +
                               "/ut/v1/users/1001/forwarding/unconditional";

  // A terminal sets its rule through this node's Ut API (curl as the real digest peer)...
  EXPECT_EQ(ut_request("PUT", rule_url, R"({"target":"777"})"), R"(201 {"target":"777"})");
  cluster::RedisClient other_node(redis.address());
  EXPECT_EQ(other_node.string_or_nil({"GET", "callcast:fwd:1001"})->value_or("<none>"), "777");
  // ...and a rule another node wrote is the one this node reads.
  ASSERT_TRUE(other_node.status_ok({"SET", "callcast:fwd:1001", "1005"}).ok());
  EXPECT_EQ(ut_request("GET", rule_url), R"(200 {"target":"1005"})");
  EXPECT_FALSE(std::filesystem::exists(clustered.sip.forwarding_db))
      << "no SQLite file beside the cluster's rules";
  stop(daemon);
}

TEST_F(DaemonTest, ClusterWithoutItsRedisIsAClearError) {
  core::Config clustered = config(core::Role::all);
  const std::uint16_t nobody = test::free_tcp_port();
  clustered.cluster.redis_url = "tcp://127.0.0.1:" + std::to_string(nobody);
  Daemon daemon(clustered);
  const auto started = daemon.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().find("forwarding rules: redis 127.0.0.1:" + std::to_string(nobody) +
                                 ": PING: cannot connect"),
            std::string::npos)
      << started.error();
}

TEST(DaemonAddresses, ReadyLineNamesOnlyWhatIsServedInAFixedOrder) {
  DaemonAddresses all;
  all.rtsp = core::HostPort{"127.0.0.1", 8554};
  all.http = {"127.0.0.1", 8080};
  all.rtp_ports = core::PortPair{8000, 8001};
  all.sip = core::HostPort{"::1", 5060};
  EXPECT_EQ(all.ready_line(),
            "callcastd ready rtsp=127.0.0.1:8554 http=127.0.0.1:8080 rtp=8000-8001 sip=[::1]:5060");
  DaemonAddresses signaling;
  signaling.http = {"127.0.0.1", 8080};
  signaling.sip = core::HostPort{"127.0.0.1", 5060};
  EXPECT_EQ(signaling.ready_line(), "callcastd ready http=127.0.0.1:8080 sip=127.0.0.1:5060");
}

}  // namespace
}  // namespace callcast
