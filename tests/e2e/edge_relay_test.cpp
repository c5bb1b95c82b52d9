// Issue 15: an edge relay across hosts. The origin and the edge are two callcastd (media role,
// driven by their admin APIs, no Redis) on hosts of their own (network namespaces joined by a
// switch); ffmpeg publishes into the origin from a third host and ffprobe plays and decodes from
// a fourth, from the origin and from the edge at once. The edge pulls the group once over
// RTSP/TCP as the origin's admitted viewer "edge-n2", drops the pull after its last viewer left,
// and ends its group when the origin's broadcast ends.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/media_tools.hpp"
#include "support/netns_lab.hpp"
#include "support/netns_scope.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

const std::string kEdgeMaster = "13800000015";
const std::string kEdgeName = "edge-n2";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class EdgeRelayE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = NetnsLab::unavailable_reason()) GTEST_SKIP() << *why;
    if (auto missing = missing_tools(); !missing.empty()) GTEST_SKIP() << missing;
    lab_ = std::make_unique<NetnsLab>(dir_.path() / "lab",
                                      std::vector<std::string>{"origin", "edge", "pub", "view"});
    ASSERT_TRUE(lab_->ok()) << lab_->error();
    origin_ = start_node("origin");
    edge_ = start_node("edge");
  }

  void TearDown() override {
    children_.clear();  // their processes end with them
    edge_.reset();
    origin_.reset();
    lab_.reset();  // removes the namespaces, whatever is left inside
  }

  std::unique_ptr<CallcastServer> start_node(const std::string& host) {
    ServerOptions options;
    options.role = "media";
    options.exec_prefix = lab_->in(lab_->host(host), {});
    options.rtsp = lab_->host(host).address + ":0";
    options.log_level = "info";
    // Short times so that the test is bounded: the master lost after 2 s, the edge's pull
    // dropped 2 s after its last viewer.
    options.config_toml =
        "[media]\npublisher_grace_s = 2\npublisher_stall_s = 2\nedge_linger_s = 2\n"
        "token_ttl_s = 600\n";
    std::filesystem::create_directories(dir_.path() / host);
    auto server = std::make_unique<CallcastServer>(CALLCASTD_PATH, dir_.path() / host, options);
    EXPECT_TRUE(server->start());
    return server;
  }

  // The admin API of a node, from inside its namespace (it answers loopback only).
  template <class F>
  auto at(const std::string& host, CallcastServer& node, F f) {
    NetnsScope inside(lab_->host(host).netns);
    EXPECT_TRUE(inside.ok()) << inside.error();
    return f(node.api());
  }

  ChildProcess& run(const std::string& host, ChildOptions options) {
    options.argv = lab_->in(lab_->host(host), std::move(options.argv));
    children_.push_back(std::make_unique<ChildProcess>(std::move(options)));
    EXPECT_TRUE(children_.back()->started()) << children_.back()->error();
    return *children_.back();
  }

  // POST /v1/edges on the edge with the origin's admission of "edge-n2": the status and body.
  std::pair<int, nlohmann::json> open_edge() {
    const auto origin_url = at("origin", *origin_, [](ControlApi api) {
      return api.admit_viewer(kEdgeMaster, kEdgeName);
    });
    EXPECT_TRUE(origin_url);
    return at("edge", *edge_, [&](ControlApi api) {
      const auto reply = api.http().post("/v1/edges", {{"group", kEdgeMaster},
                                                       {"master", kEdgeMaster},
                                                       {"origin_url", origin_url.value_or("")}});
      return std::pair{reply.status, nlohmann::json::parse(reply.body, nullptr, false)};
    });
  }

  std::optional<nlohmann::json> snapshot(const std::string& host, CallcastServer& node) {
    NetnsScope inside(lab_->host(host).netns);
    if (!inside.ok()) return std::nullopt;
    const auto reply = node.http().get("/v1/groups/" + kEdgeMaster);
    if (reply.status != 200) return std::nullopt;
    return nlohmann::json::parse(reply.body, nullptr, false);
  }
  bool edge_playing_at_origin() {
    auto group = snapshot("origin", *origin_);
    return group && find_viewer(*group, kEdgeName).value("state", "") == "playing";
  }

  DecodedMedia decoded(ChildProcess& viewer, const std::string& name) {
    EXPECT_TRUE(viewer.wait_for(40s)) << name << " did not end";
    return decoded_from_ffprobe_json(read_text(dir_.path() / (name + ".out")),
                                     read_text(dir_.path() / (name + ".err")));
  }

  TempDir dir_{"edge-relay"};
  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<CallcastServer> origin_;
  std::unique_ptr<CallcastServer> edge_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

TEST_F(EdgeRelayE2eTest, EdgeViewersDecodeTheOriginsStreamAndThePullFollowsItsAudience) {
  const auto publish_url =
      at("origin", *origin_, [](ControlApi api) { return api.create_group(kEdgeMaster); });
  ASSERT_TRUE(publish_url);
  ChildProcess& publisher = run("pub", ffmpeg_publisher(*publish_url, dir_.path()));
  ASSERT_TRUE(
      at("origin", *origin_, [](ControlApi api) { return api.wait_until_live(kEdgeMaster, 20s); }));

  const auto [status, opened] = open_edge();
  ASSERT_EQ(status, 201) << opened.dump();
  EXPECT_EQ(opened.value("created", false), true);
  const auto [again_status, again] = open_edge();
  EXPECT_EQ(again_status, 200) << again.dump();
  EXPECT_EQ(again.value("created", true), false);
  ASSERT_TRUE(
      at("edge", *edge_, [](ControlApi api) { return api.wait_until_live(kEdgeMaster, 20s, 20); }));
  const auto edge_group = snapshot("edge", *edge_);
  ASSERT_TRUE(edge_group);
  EXPECT_EQ(edge_group->value("origin_url", ""), "rtsp://" + lab_->host("origin").address + ":" +
                                                     std::to_string(origin_->rtsp_port()) +
                                                     "/groups/" + kEdgeMaster)
      << edge_group->dump();

  // One viewer on each node, the same seconds of the broadcast, from a fourth host.
  const auto edge_url = at(
      "edge", *edge_, [](ControlApi api) { return api.admit_viewer(kEdgeMaster, "13900000001"); });
  const auto origin_url = at("origin", *origin_, [](ControlApi api) {
    return api.admit_viewer(kEdgeMaster, "13900000002");
  });
  ASSERT_TRUE(edge_url && origin_url);
  EXPECT_NE(edge_url->find(lab_->host("edge").address), std::string::npos) << *edge_url;
  ChildProcess& at_edge = run("view", ffprobe_live_viewer(*edge_url, 6, dir_.path(), "at-edge"));
  ChildProcess& at_origin =
      run("view", ffprobe_live_viewer(*origin_url, 6, dir_.path(), "at-origin"));
  const DecodedMedia edge_media = decoded(at_edge, "at-edge");
  const DecodedMedia origin_media = decoded(at_origin, "at-origin");
  std::printf("[measured] edge viewer: %s\n[measured] origin viewer: %s\n",
              edge_media.describe().c_str(), origin_media.describe().c_str());
  EXPECT_TRUE(edge_media.error.empty()) << edge_media.describe();
  EXPECT_GE(edge_media.video_frames, 4 * kPublishFps) << edge_media.describe();
  EXPECT_GT(edge_media.audio_frames, 0) << edge_media.describe();
  EXPECT_EQ(edge_media.first_video_keyframe, std::optional<bool>(true));
  // The same stream: as many frames within a second's worth (they joined a moment apart).
  EXPECT_LE(std::abs(edge_media.video_frames - origin_media.video_frames), kPublishFps)
      << edge_media.describe() << " vs " << origin_media.describe();
  EXPECT_NEAR(edge_media.video_window_s(), origin_media.video_window_s(), 1.0);

  // The edge's last viewer gone: after the linger (2 s) its pull ends (edge_closed), and the
  // origin's viewer "edge-n2" stops playing.
  EXPECT_TRUE(wait_until([&] { return !snapshot("edge", *edge_); }, 10s))
      << "the edge's group is still there after its last viewer left";
  EXPECT_TRUE(edge_->wait_for_log("reason=edge_closed", 1s));
  EXPECT_TRUE(wait_until([&] { return !edge_playing_at_origin(); }, 5s));

  // Opened again for a new viewer; then the broadcast ends at the origin: the edge's group ends
  // (origin_lost) and so does its viewer.
  ASSERT_EQ(open_edge().first, 201);
  ASSERT_TRUE(
      at("edge", *edge_, [](ControlApi api) { return api.wait_until_live(kEdgeMaster, 20s, 20); }));
  const auto late_url = at(
      "edge", *edge_, [](ControlApi api) { return api.admit_viewer(kEdgeMaster, "13900000003"); });
  ASSERT_TRUE(late_url);
  ChildProcess& late = run("view", ffprobe_live_viewer(*late_url, 60, dir_.path(), "late"));
  ASSERT_TRUE(wait_until(
      [&] {
        auto group = snapshot("edge", *edge_);
        return group && find_viewer(*group, "13900000003").value("state", "") == "playing";
      },
      15s));
  publisher.terminate(SIGINT);
  EXPECT_TRUE(wait_until([&] { return !snapshot("edge", *edge_); }, 15s))
      << "the edge's group outlived the origin's broadcast";
  EXPECT_TRUE(edge_->wait_for_log("reason=origin_lost", 1s)) << edge_->log_tail();
  EXPECT_TRUE(late.wait_for(20s)) << "the edge's viewer did not end with the broadcast";
}

}  // namespace
}  // namespace callcast::test
