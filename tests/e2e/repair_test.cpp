// Issue 12 item 2: NACK repair across a lossy path. callcastd on one lab host, ffmpeg publishing
// from another, and two real players behind a router that drops 5 % of the UDP datagrams toward
// them (iptables `statistic`: these kernels have no netem): GStreamer's rtspsrc (RTP/AVPF, its
// default do-retransmission, so RFC 4588 RTX) and ffmpeg (RTP/AVP SETUP after an AVPF DESCRIBE,
// so original packets). The same run with media.rtx_window_ms = 0 is the baseline: with repair
// on, the server counts NACKs and repairs for both, and both keep decoding.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/media_tools.hpp"
#include "support/netns_lab.hpp"
#include "support/netns_scope.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test::repair_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMaster = "13800000001";
constexpr const char* kGstViewer = "13900000002";
constexpr const char* kFfmpegViewer = "13900000003";
constexpr std::uint16_t kRtspPort = 8554;
constexpr std::uint16_t kHttpPort = 8080;
constexpr int kSeconds = 6;

struct RunResult {
  nlohmann::json group;    // the snapshot at the end: the group's totals
  nlohmann::json playing;  // the last one while both players were playing
  DecodedMedia gst;
  DecodedMedia ffmpeg;
};

nlohmann::json viewer_entry(const nlohmann::json& group, const std::string& viewer) {
  for (const auto& v : group.value("viewers", nlohmann::json::array())) {
    if (v.value("viewer", "") == viewer) return v;
  }
  return nlohmann::json::object();
}

nlohmann::json viewer_repair(const nlohmann::json& group, const std::string& viewer) {
  return viewer_entry(group, viewer).value("repair", nlohmann::json::object());
}

bool both_playing(const nlohmann::json& group) {
  return viewer_entry(group, kGstViewer).value("state", "") == "playing" &&
         viewer_entry(group, kFfmpegViewer).value("state", "") == "playing";
}

class RepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = NetnsLab::unavailable_reason()) {
      GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
    }
    const std::string missing = missing_tools();
    ASSERT_TRUE(missing.empty()) << "tools missing: " << missing;
    dir_ = std::make_unique<TempDir>("repair");
    lab_ = std::make_unique<NetnsLab>(dir_->path());
    ASSERT_TRUE(lab_->ok()) << "cannot build the lab: " << lab_->error();
    // 5 % of the UDP datagrams toward the players behind the router are lost; RTSP (TCP) and
    // everything the players send pass untouched.
    ASSERT_TRUE(
        lab_->run(lab_->router(),
                  {"iptables", "-I", "FORWARD", "-p", "udp", "-d", lab_->natted_viewer().address,
                   "-m", "statistic", "--mode", "random", "--probability", "0.05", "-j", "DROP"}));
  }

  void TearDown() override { lab_.reset(); }

  ChildOptions on(const LabHost& host, ChildOptions options) const {
    options.argv = lab_->in(host, std::move(options.argv));
    return options;
  }

  std::optional<nlohmann::json> snapshot() const {
    NetnsScope inside(lab_->server().netns);
    if (!inside.ok()) return std::nullopt;
    return ControlApi(HttpClient("127.0.0.1", kHttpPort)).group(kMaster);
  }

  // One server with `rtx_window_ms`, the publisher and both players for kSeconds.
  RunResult run(int rtx_window_ms) {
    RunResult result;
    const auto where = dir_->path() / ("window-" + std::to_string(rtx_window_ms));
    std::filesystem::create_directories(where);
    ServerOptions options;
    options.role = "media";
    options.exec_prefix = lab_->in(lab_->server(), {});
    options.config_toml = "[media]\nrtx_window_ms = " + std::to_string(rtx_window_ms) + "\n";
    options.rtsp = "0.0.0.0:" + std::to_string(kRtspPort);
    options.rtp_ports = "8000-8001";
    options.http = "0.0.0.0:" + std::to_string(kHttpPort);
    CallcastServer server(CALLCASTD_PATH, where, options);
    const auto started = server.start();
    EXPECT_TRUE(started);
    if (!started) return result;

    std::optional<std::string> publish_url;
    std::optional<std::string> gst_url;
    std::optional<std::string> ffmpeg_url;
    {
      NetnsScope inside(lab_->server().netns);
      const ControlApi api(HttpClient("127.0.0.1", kHttpPort));
      publish_url = api.create_group(kMaster);
      gst_url = api.admit_viewer(kMaster, kGstViewer);
      ffmpeg_url = api.admit_viewer(kMaster, kFfmpegViewer);
    }
    if (!publish_url || !gst_url || !ffmpeg_url) return result;
    ChildProcess publisher(on(lab_->broadcaster(), ffmpeg_publisher(*publish_url, where)));
    bool live = false;
    {
      NetnsScope inside(lab_->server().netns);
      live = ControlApi(HttpClient("127.0.0.1", kHttpPort)).wait_until_live(kMaster, 15s);
    }
    EXPECT_TRUE(live) << publisher.stderr_tail(3000);
    if (!live) return result;

    const auto gst_file = where / "gst.mkv";
    const auto ffmpeg_file = where / "ffmpeg.mkv";
    ChildOptions gst_options = gst_recorder(*gst_url, gst_file, where, "gst");
    if (const char* debug = std::getenv("REPAIR_TEST_GST_DEBUG")) {
      gst_options.extra_env.push_back(std::string("GST_DEBUG=") + debug);
    }
    ChildProcess gst(on(lab_->natted_viewer(), gst_options));
    ChildProcess ffmpeg(on(lab_->natted_viewer(),
                           ffmpeg_recorder(*ffmpeg_url, ffmpeg_file, kSeconds, where, "ffmpeg")));
    // Per-viewer counters go with the viewer: the last snapshot while both still play.
    std::optional<ExitStatus> ffmpeg_status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kSeconds + 10);
    while (!(ffmpeg_status = ffmpeg.wait_for(300ms)) &&
           std::chrono::steady_clock::now() < deadline) {
      if (auto group = snapshot(); group && both_playing(*group)) {
        result.playing = *group;
      }
    }
    EXPECT_TRUE(ffmpeg_status && ffmpeg_status->success()) << ffmpeg.stderr_tail(3000);
    // Not its exit status: rtspsrc may send PAUSE after its own TEARDOWN when it stops with EOS
    // while its jitter buffer still waits for retransmissions ("Could not send message").
    gst.terminate(SIGINT, 10s);
    if (auto group = snapshot()) result.group = *group;
    publisher.terminate(SIGTERM, 5s);
    server.stop();

    result.gst = decode_file(gst_file, where);
    result.ffmpeg = decode_file(ffmpeg_file, where);
    std::printf(
        "[e2e] rtx_window_ms=%d repair %s gst %s ffmpeg %s\n[e2e]   gst: %s\n[e2e]   ffmpeg: %s\n",
        rtx_window_ms, result.group.value("repair", nlohmann::json()).dump().c_str(),
        viewer_repair(result.playing, kGstViewer).dump().c_str(),
        viewer_repair(result.playing, kFfmpegViewer).dump().c_str(), result.gst.describe().c_str(),
        result.ffmpeg.describe().c_str());
    return result;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> lab_;
};

TEST_F(RepairTest, PlayersBehindALossyPathAreAnsweredAndKeepDecoding) {
  const RunResult off = run(0);
  ASSERT_FALSE(HasFailure());
  const RunResult on = run(500);
  ASSERT_FALSE(HasFailure());

  EXPECT_EQ(off.group["repair"].value("packets_repaired", -1), 0) << off.group.dump();
  const auto& repair = on.group["repair"];
  EXPECT_GT(repair.value("nacks_received", 0), 0) << on.group.dump();
  EXPECT_GT(repair.value("packets_repaired", 0), 0) << on.group.dump();
  // Both players asked, and both were answered (RTX for rtspsrc, originals for ffmpeg).
  EXPECT_GT(viewer_repair(on.playing, kGstViewer).value("packets_repaired", 0), 0)
      << on.playing.dump();
  EXPECT_GT(viewer_repair(on.playing, kFfmpegViewer).value("packets_repaired", 0), 0)
      << on.playing.dump();

  for (const auto* media : {&off.gst, &off.ffmpeg, &on.gst, &on.ffmpeg}) {
    EXPECT_TRUE(media->error.empty()) << media->describe();
    EXPECT_GT(media->video_frames, kPublishFps * (kSeconds - 3)) << media->describe();
  }
  // No comparison of decoder complaints here: in 6 s at 5 % loss they are too few to tell the
  // runs apart (rtspsrc conceals most damage without a word: 0 complaints without repair and 2
  // with in one run, 26 against 22 for ffmpeg in another). watch_repair_test proves the picture
  // (100 % clean with repair, damaged without) over a longer run; this one proves both kinds of
  // player are answered.
}

}  // namespace
}  // namespace callcast::test::repair_test
