// Issue 14: the browser pages served by callcastd, driven in headless Chromium by the scripts of
// tests/browser (node + playwright-core from web/node_modules). The operator console lists a
// live group published by ffmpeg and watched by an RTSP viewer, and its chart moves; the watch
// and broadcast pages show the server's refusal (status and message) in their alert, and play
// and send through a peer connection in a second page.
//
// Nothing is skipped: without node, /usr/bin/chromium or the built pages (web/dist, `make web`)
// the tests fail and say which command sets them up.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/browser_setup.hpp"
#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"

namespace callcast::test::browser_console_test {
namespace {

using namespace std::chrono_literals;

const std::string kMaster = "13800000001";
const std::filesystem::path kSource = CALLCAST_SOURCE_DIR;

class BrowserPagesTest : public E2eTest {
 protected:
  BrowserPagesTest() : E2eTest(CALLCASTD_PATH) {}

  void SetUp() override {
    const std::string missing = browser_setup_missing(kSource);
    ASSERT_EQ(missing, "") << "the browser tests need their set-up: " << missing;
    E2eTest::SetUp();
  }

  std::string base_url() { return "http://127.0.0.1:" + std::to_string(server().http_port()); }

  // Runs tests/browser/<script> with `args`; its one JSON line (a discarded value and a failure
  // when it printed none).
  nlohmann::json run_browser_script(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv{"node", (kSource / "tests/browser" / script).string(), "--base",
                                  base_url()};
    argv.insert(argv.end(), args.begin(), args.end());
    // The script's own deadline (--timeout, 40 s) comes first; this one only guards against a
    // node that never starts.
    const ToolRun run = run_tool(argv, dir(), script, 60s);
    std::string line = run.out;
    while (!line.empty() && line.back() == '\n')
      line.pop_back();
    line = line.substr(line.rfind('\n') == std::string::npos ? 0 : line.rfind('\n') + 1);
    nlohmann::json result = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(result.is_discarded()) << run.command << " printed no JSON line.\nstdout:\n"
                                        << run.out << "\nstderr:\n"
                                        << run.err;
    return result;
  }
};

TEST_F(BrowserPagesTest, PagesAreServedWithTheirTypes) {
  HttpClient http = server().http();
  for (const char* path : {"/", "/watch", "/broadcast"}) {
    const HttpResult page = http.get(path);
    EXPECT_EQ(page.status, 200) << path << ": " << page.describe();
    EXPECT_NE(page.body.find("<!doctype html>"), std::string::npos) << path;
  }
  const HttpResult script = http.get("/assets/console.js");
  EXPECT_EQ(script.status, 200) << script.describe();
  EXPECT_EQ(http.get("/assets/..%2f..%2fREADME.md").status, 404);
  EXPECT_EQ(http.get("/nothing-here").status, 404);
}

TEST_F(BrowserPagesTest, ConsoleListsALiveGroupAndItsChartMoves) {
  const std::string publish_url = create_group(kMaster);
  ASSERT_FALSE(publish_url.empty());
  ChildProcess& publisher = spawn(ffmpeg_publisher(publish_url, dir()));
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail(3000);
  const std::string play_url = admit_viewer(kMaster, "13900000002");
  ASSERT_FALSE(play_url.empty());
  spawn(ffprobe_live_viewer(play_url, 40, dir(), "viewer"));

  const auto screenshot = dir() / "console.png";
  const nlohmann::json result = run_browser_script(
      "console.mjs", {"--group", kMaster, "--seconds", "3", "--screenshot", screenshot.string()});
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  EXPECT_NE(std::find(result["groups"].begin(), result["groups"].end(), kMaster),
            result["groups"].end())
      << result.dump();
  EXPECT_EQ(result.value("chart_moved", false), true) << result.dump();
  EXPECT_GE(result.value("viewers", 0), 1) << result.dump();
  ASSERT_TRUE(result["row"].is_object()) << result.dump();
  EXPECT_EQ(result["row"].value("master", ""), kMaster);
  EXPECT_EQ(result["row"].value("state", ""), "live");
  EXPECT_EQ(result.value("watch_href", ""), "/watch?number=" + kMaster);
  ASSERT_TRUE(std::filesystem::exists(screenshot)) << result.dump();
  // A page with a table and a drawn chart, not a blank or error page (those are a few KiB).
  EXPECT_GT(std::filesystem::file_size(screenshot), 20'000u);
}

// Today no WHEP handler answers (404 from the HTTP server); with WHEP, an unknown user gets 401.
// Either way the page shows the status and the server's message in its alert.
TEST_F(BrowserPagesTest, WatchPageShowsTheServersRefusal) {
  const nlohmann::json result = run_browser_script(
      "watch.mjs", {"--number", "13800000009", "--user", "13900000009", "--password", "wrong",
                    "--expect-error", "--screenshot", (dir() / "watch-error.png").string()});
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  const int status = result.value("status", 0);
  EXPECT_TRUE(status >= 400 && status < 500) << result.dump();
  EXPECT_NE(result.value("error_text", ""), "") << result.dump();
  EXPECT_EQ(result.value("state", ""), "idle") << result.dump();
}

TEST_F(BrowserPagesTest, BroadcastPageShowsTheServersRefusal) {
  const nlohmann::json result = run_browser_script(
      "broadcast.mjs",
      {"--user", "13800000009", "--password", "wrong", "--seconds", "1", "--expect-error"});
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  const int status = result.value("status", 0);
  EXPECT_TRUE(status >= 400 && status < 500) << result.dump();
  EXPECT_NE(result.value("error_text", ""), "") << result.dump();
}

// The pages' WebRTC side without a server that speaks it: the script answers the page's WHEP
// (WHIP) POST from a second page's peer connection (--loopback), served pages and all.
TEST_F(BrowserPagesTest, WatchPagePlaysThroughALoopbackPeer) {
  const nlohmann::json result =
      run_browser_script("watch.mjs", {"--number", kMaster, "--user", "13900000002", "--password",
                                       "secret", "--loopback", "--seconds", "3"});
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  EXPECT_GT(result.value("frames_decoded", 0), 0) << result.dump();
  EXPECT_GT(result.value("audio_samples_received", 0), 0) << result.dump();
  EXPECT_EQ(result.value("frame_width", 0), 640) << result.dump();
  EXPECT_EQ(result.value("frame_height", 0), 360) << result.dump();
  EXPECT_GT(result.value("video_variance", 0), 50) << "a blank picture: " << result.dump();
  EXPECT_EQ(result.value("state", ""), "playing") << result.dump();
}

TEST_F(BrowserPagesTest, BroadcastPageSendsH264ThroughALoopbackPeer) {
  const nlohmann::json result = run_browser_script(
      "broadcast.mjs", {"--user", kMaster, "--password", "secret", "--loopback", "--seconds", "2"});
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  EXPECT_EQ(result.value("live", false), true) << result.dump();
  EXPECT_GT(result["packets_sent"].value("video", 0), 0) << result.dump();
  EXPECT_GT(result["packets_sent"].value("audio", 0), 0) << result.dump();
  // The page offers H.264 constrained baseline first: what RTSP viewers and phones can take.
  EXPECT_NE(result.value("codec", "").find("profile-level-id=42e01f"), std::string::npos)
      << result.dump();
  EXPECT_EQ(result.value("stopped", false), true) << result.dump();
}

}  // namespace
}  // namespace callcast::test::browser_console_test
