// Issue 14 end to end: browsers as terminals of callcastd itself. Headless Chromium (the scripts
// of tests/browser, node + playwright-core) watches a number through WHEP and broadcasts through
// WHIP; ICE-lite, DTLS-SRTP and the fan-out run in callcastd. A browser watches a `callcast
// broadcast`; the watch page shows the server's reason when it is refused; every kind of viewer
// (terminal, RTSP player, SIP phone, browser) decodes a browser's broadcast; the operator console
// counts browser viewers; /metrics counts them by transport; with the roles apart, a browser
// watches by number from the signaling role's pages; across hosts, browsers on another host and
// behind a NAT watch, and a browser broadcaster follows the REMB its congested group sends it.
//
// Nothing is skipped for want of a browser: without node, /usr/bin/chromium or the built pages
// (web/dist, `make web`) the tests fail and say which command sets them up.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/baresip_phone.hpp"
#include "support/browser_setup.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/http_client.hpp"
#include "support/lab_terminal_e2e.hpp"
#include "support/media_tools.hpp"
#include "support/terminal_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::browser_webrtc_test {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kSource = CALLCAST_SOURCE_DIR;
// Users of the browsers (beside the SIP fixture's kMaster, kViewer, kViewer2, kOther).
constexpr const char* kBrowserViewer = "13900000005";
constexpr const char* kBrowserViewer2 = "13900000006";
// The watch page's blank-picture threshold (tests/browser/watch.mjs VARIANCE_MIN).
constexpr int kVarianceMin = 50;

std::string script_path(const std::string& script) {
  return (kSource / "tests/browser" / script).string();
}

// The one JSON line a script printed last (discarded when there is none).
nlohmann::json last_json_line(std::string text) {
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  const auto newline = text.rfind('\n');
  return nlohmann::json::parse(newline == std::string::npos ? text : text.substr(newline + 1),
                               nullptr, false);
}

// Waits for a script started as a child and returns its JSON line; a failure with its output
// when it printed none in time.
nlohmann::json script_result(ChildProcess& script, std::chrono::milliseconds timeout) {
  const auto status = script.wait_for(timeout);
  EXPECT_TRUE(status) << script.command_line() << " still running after " << timeout.count()
                      << " ms";
  const std::string out = file_text(script.options().stdout_file);
  nlohmann::json result = last_json_line(out);
  if (result.is_discarded()) {
    ADD_FAILURE() << script.command_line() << " printed no JSON line.\nstdout:\n"
                  << out << "\nstderr:\n"
                  << file_tail(script.options().stderr_file, 8000);
    return nlohmann::json::object();
  }
  return result;
}

// The JSON line a script prints while it keeps running (--end close: the tab is closed, the
// browser stays up); discarded when there is none within `timeout` or the script exited first.
nlohmann::json reported_line(ChildProcess& script, std::chrono::milliseconds timeout) {
  nlohmann::json result;
  wait_until(
      [&] {
        result = last_json_line(file_text(script.options().stdout_file));
        return !result.is_discarded() || !script.running();
      },
      timeout, 20ms);
  if (result.is_discarded()) {
    ADD_FAILURE() << script.command_line() << " printed no JSON line in " << timeout.count()
                  << " ms.\nstdout:\n"
                  << file_text(script.options().stdout_file) << "\nstderr:\n"
                  << file_tail(script.options().stderr_file, 8000);
  }
  return result;
}

// Milliseconds from a script's closed_at_ms (Unix ms, the moment it closed the tab) to now.
long long ms_since(const nlohmann::json& result, const char* field = "closed_at_ms") {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return now - result.value(field, now);
}

bool file_larger_than(const std::filesystem::path& file, std::uintmax_t bytes) {
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  return !error && size > bytes;
}

// How a test's page leaves: `end` is the scripts' --end (close, kill), `lose_delete` makes the
// page send no DELETE.
struct PageEnd {
  std::string end;
  bool lose_delete = false;
  std::chrono::milliseconds within;  // from the close to the session's end on both sides
  std::string media_reason;          // the media side's reason when it ends the session itself
};
// The value of one series (name and labels as exposed) in a /metrics text; -1 when absent.
double metric_sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

// callcast_viewers of one transport (webrtc, rtp, udp, tcp) as `server` exposes it now.
double viewers_metric(CallcastServer& server, const std::string& transport,
                      std::string* text = nullptr) {
  const HttpResult scraped = server.http().get("/metrics");
  if (text != nullptr) *text = scraped.body;
  if (scraped.status != 200) return -1;
  return metric_sample(scraped.body, "callcast_viewers{transport=\"" + transport + "\"}");
}

class BrowserWebRtcTest : public TerminalE2eTest {
 protected:
  BrowserWebRtcTest() : TerminalE2eTest(CALLCASTD_PATH, CALLCAST_PATH) {}

  void SetUp() override {
    const std::string missing = browser_setup_missing(kSource);
    ASSERT_EQ(missing, "") << "the browser tests need their set-up: " << missing;
    TerminalE2eTest::SetUp();
  }

  ServerOptions server_options() const override {
    ServerOptions options = TerminalE2eTest::server_options();
    options.users.emplace_back(kBrowserViewer, kPassword);
    options.users.emplace_back(kBrowserViewer2, kPassword);
    return options;
  }

  // These tests fill a broadcast with one viewer; the others keep the default limit.
  std::string extra_config() const override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name = test != nullptr ? test->name() : "";
    const bool consent = name == "AKilledWatchingBrowserEndsWhenItsConsentExpires";
    if (name == "TheWatchPageSaysWhy" || name == "ClosingAWatchingTabEndsItsCall" ||
        name == "AWatchingTabClosedWithoutItsDeleteEndsOnCloseNotify" || consent) {
      // The least consent timeout (RFC 7675's 30 s by default) keeps the consent test short.
      return std::string("[media]\nmax_viewers_per_group = 1\n") +
             (consent ? "webrtc_consent_timeout_s = 10\n" : "");
    }
    return {};
  }

  // Where the browsers open the pages: the server that takes calls by number.
  virtual std::string base_url() {
    return "http://127.0.0.1:" + std::to_string(signaling_server().http_port());
  }

  // tests/browser/<script> started in the background, its output in dir()/<name>.out and .err.
  ChildProcess& start_script(const std::string& script, std::vector<std::string> args,
                             const std::string& name) {
    std::vector<std::string> argv{"node", script_path(script), "--base", base_url()};
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn(terminal_child(std::move(argv), name));
  }

  // watch.mjs as `user` on kMaster's number, playing `seconds` after its first frame.
  ChildProcess& start_browser_watch(const std::string& user, int seconds, const std::string& name) {
    return start_script(
        "watch.mjs",
        {"--number", kMaster, "--user", user, "--password", kPassword, "--seconds",
         std::to_string(seconds), "--screenshot", (dir() / (name + ".png")).string()},
        name);
  }

  // The snapshot of `group` (null while the media side has none).
  nlohmann::json snapshot(const std::string& group = kMaster) {
    const HttpResult got = server().http().get("/v1/groups/" + group);
    if (got.status != 200) return nullptr;
    auto parsed = nlohmann::json::parse(got.body, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json() : parsed;
  }

  void watch_then_leave(const PageEnd& how);
  void broadcast_then_leave(const PageEnd& how);

  // The server's log lines of how `terminal`'s session and call ended (the DELETE, the DTLS
  // close_notify or the consent timeout) and of the DELETEs of `sessions` (/whep/sessions/ or
  // /whip/sessions/), printed: which came first is the browser's doing.
  void print_session_end(const std::string& terminal, const std::string& sessions) {
    std::istringstream log(file_text(server().log_path()));
    const std::string who = "terminal=" + terminal + " ";
    for (std::string line; std::getline(log, line);) {
      bool shown = line.find("http DELETE " + sessions) != std::string::npos;
      for (const char* what : {"_closed reason", "call_ended", "bye_sent", "media_ended",
                               "broadcast_ended", "forwarding_cleared", "group_closed"}) {
        shown =
            shown || (line.find(who) != std::string::npos && line.find(what) != std::string::npos);
      }
      if (shown) std::printf("[e2e]   %s\n", line.c_str());
    }
  }

  // The statuses the server answered the DELETEs of `sessions` with (its HTTP log lines).
  std::vector<int> delete_statuses(const std::string& sessions) {
    std::istringstream log(file_text(server().log_path()));
    const std::string request = "http DELETE " + sessions;
    std::vector<int> statuses;
    for (std::string line; std::getline(log, line);) {
      const auto at = line.find(request);
      if (at == std::string::npos) continue;
      const auto status = line.find(' ', at + request.size());
      if (status != std::string::npos) statuses.push_back(std::atoi(line.c_str() + status + 1));
    }
    return statuses;
  }

  // The page sent its DELETE (authenticated: answered 200, or 404 when its close_notify had
  // ended the session first) when it could, none when it was told to lose it or was killed.
  void expect_delete(const PageEnd& how, const std::string& sessions) {
    const std::vector<int> statuses = delete_statuses(sessions);
    if (how.end == "close" && !how.lose_delete) {
      ASSERT_EQ(statuses.size(), 1u) << "the pagehide DELETE did not arrive";
      EXPECT_TRUE(statuses[0] == 200 || statuses[0] == 404) << statuses[0];
    } else {
      EXPECT_TRUE(statuses.empty())
          << statuses.size() << " DELETEs, first answered " << statuses.front();
    }
  }

  // Waits until the snapshot lists `viewer` as a WebRTC viewer that was sent packets; its entry.
  nlohmann::json wait_for_webrtc_viewer(const std::string& viewer,
                                        std::chrono::milliseconds timeout) {
    nlohmann::json entry;
    const bool seen = wait_until(
        [&] {
          const auto group = snapshot();
          entry = group.is_null() ? nlohmann::json() : find_viewer(group, viewer);
          return !entry.is_null() && entry.value("transport", "") == "webrtc" &&
                 entry.value("packets_sent", 0) > 0;
        },
        timeout);
    EXPECT_TRUE(seen) << viewer << " is not listed as a webrtc viewer that gets packets: "
                      << snapshot().dump() << "\n"
                      << server().log_tail(6000);
    return entry;
  }

  // A watch.mjs result that played: frames over the whole of `seconds`, sound, a picture.
  void expect_played(const nlohmann::json& result, int seconds) {
    EXPECT_EQ(result.value("ok", false), true) << result.dump();
    // Decoding all along, not a first frame and a freeze: at least 70 % of the frames.
    EXPECT_GE(result.value("frames_decoded", 0), seconds * kPublishFps * 7 / 10) << result.dump();
    EXPECT_GT(result.value("audio_samples_received", 0), 0) << result.dump();
    EXPECT_GT(result.value("video_variance", 0), kVarianceMin) << result.dump();
    EXPECT_EQ(result.value("stopped", false), true) << result.dump();
    const std::string screenshot = result.value("screenshot", "");
    EXPECT_TRUE(file_larger_than(screenshot, 20'000)) << "screenshot " << screenshot;
  }
};

TEST_F(BrowserWebRtcTest, ABrowserWatchesACallcastBroadcastByNumber) {
  start_live_broadcast();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 10s));
  const int seconds = 6;
  ChildProcess& page = start_browser_watch(kBrowserViewer, seconds, "watch");

  // While it plays, the group lists the browser as a WebRTC viewer and sends to it.
  const nlohmann::json first = wait_for_webrtc_viewer(kBrowserViewer, 20s);
  ASSERT_FALSE(first.is_null());
  std::this_thread::sleep_for(1s);
  const nlohmann::json later = find_viewer(snapshot(), kBrowserViewer);
  EXPECT_GT(later.value("packets_sent", 0), first.value("packets_sent", 0) + 50)
      << first.dump() << "\n"
      << later.dump();
  // /metrics counts it as the snapshot names it, and no RTSP viewer (the publisher is none).
  std::string metrics;
  EXPECT_EQ(viewers_metric(server(), "webrtc", &metrics), 1) << metrics;
  for (const char* transport : {"rtp", "udp", "tcp"})
    EXPECT_EQ(viewers_metric(server(), transport, &metrics), 0) << transport << "\n" << metrics;

  const nlohmann::json result = script_result(page, 60s);
  expect_played(result, seconds);
  EXPECT_EQ(result.value("frame_width", 0), 640) << result.dump();
  EXPECT_EQ(result.value("frame_height", 0), 360) << result.dump();
  std::printf(
      "[e2e] browser watching callcast broadcast: join %d ms, %d frames in %d s, %d audio "
      "samples, variance %d; snapshot entry %s\n",
      result.value("join_ms", 0), result.value("frames_decoded", 0), seconds,
      result.value("audio_samples_received", 0), result.value("video_variance", 0),
      later.dump().c_str());

  // Its Stop (DELETE) ends the session: the viewer leaves the group; the broadcast goes on.
  EXPECT_TRUE(server().wait_for_log(std::string("terminal=") + kBrowserViewer +
                                        " step=714 event=call_ended role=viewer by=DELETE",
                                    5s))
      << server().log_tail(6000);
  EXPECT_TRUE(wait_until([&] { return find_viewer(snapshot(), kBrowserViewer).is_null(); }, 5s))
      << snapshot().dump() << "\n"
      << server().log_tail(6000);
  EXPECT_EQ(snapshot().value("state", ""), "live");
}

TEST_F(BrowserWebRtcTest, TheWatchPageSaysWhy) {
  start_live_broadcast();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 10s));

  struct Refusal {
    std::string name;
    std::string number;
    std::string password;
    int status;
    std::vector<std::string> reason;  // what the page's alert must say
  };
  const auto try_watch = [&](const Refusal& refusal) {
    return &start_script("watch.mjs",
                         {"--number", refusal.number, "--user", kBrowserViewer, "--password",
                          refusal.password, "--seconds", "1", "--expect-error", "--screenshot",
                          (dir() / (refusal.name + ".png")).string()},
                         refusal.name);
  };
  const auto expect_refused = [&](const Refusal& refusal, ChildProcess& page) {
    SCOPED_TRACE(refusal.name);
    const nlohmann::json result = script_result(page, 40s);
    EXPECT_EQ(result.value("ok", false), true) << result.dump();
    EXPECT_EQ(result.value("status", 0), refusal.status) << result.dump();
    const std::string shown = result.value("error_text", "");
    for (const std::string& words : refusal.reason) {
      EXPECT_NE(shown.find(words), std::string::npos)
          << "the alert does not say \"" << words << "\": " << result.dump();
    }
    EXPECT_EQ(result.value("state", ""), "idle") << result.dump();
    std::printf("[e2e] %s: \"%s\"\n", refusal.name.c_str(), shown.c_str());
  };

  const std::string unknown = "13999999999";
  const std::vector<Refusal> refusals = {
      {"wrong-password", kMaster, "not-the-password", 401, {"wrong number or password"}},
      {"not-broadcasting", kOther, kPassword, 404, {kOther, "not broadcasting"}},
      {"unknown-number", unknown, kPassword, 404, {unknown, "not a known number"}},
  };
  // The three pages at once (each is a browser start and one POST).
  std::vector<ChildProcess*> pages;
  for (const Refusal& refusal : refusals)
    pages.push_back(try_watch(refusal));
  for (std::size_t i = 0; i < refusals.size(); ++i)
    expect_refused(refusals[i], *pages[i]);

  // The broadcast's one place (max_viewers_per_group = 1) taken by a terminal.
  ChildProcess& terminal = watch(kMaster, kViewer);
  ASSERT_TRUE(wait_for_output(terminal, "step 714", 20s));
  const Refusal full{
      "full", kMaster, kPassword, 503, {std::string("the broadcast of ") + kMaster + " is full"}};
  expect_refused(full, *try_watch(full));

  // Nothing of the refused browsers stays: the terminal alone watches, no other group exists.
  const nlohmann::json group = snapshot();
  ASSERT_TRUE(group.is_object());
  ASSERT_TRUE(group.contains("viewers")) << group.dump();
  EXPECT_EQ(group["viewers"].size(), 1u) << group.dump();
  EXPECT_FALSE(find_viewer(group, kViewer).is_null()) << group.dump();
  const auto groups = api().groups();
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->size(), 1u) << groups->dump();
  const auto signaling = signaling_stats();
  // The master's call and the terminal's call, no call of a browser.
  EXPECT_EQ(signaling.value("calls", -1), 2) << signaling.dump();
}

TEST_F(BrowserWebRtcTest, ABrowserBroadcastsAndEveryKindOfViewerDecodesIt) {
  ASSERT_EQ(baresip_missing(), "") << "apt-get install baresip baresip-ffmpeg";
  const int live_seconds = 20;
  ChildProcess& broadcaster = start_script(
      "broadcast.mjs",
      {"--user", kMaster, "--password", kPassword, "--seconds", std::to_string(live_seconds),
       "--timeout", "60", "--screenshot", (dir() / "broadcast.png").string()},
      "broadcast");
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s))
      << file_text(broadcaster.options().stdout_file) << broadcaster.stderr_tail(3000);
  const nlohmann::json publisher = snapshot()["publisher"];
  EXPECT_EQ(publisher.value("transport", ""), "webrtc") << publisher.dump();
  // 708: the network side forwards the browser's number to the service, as for a phone.
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 200; }, 5s));

  // A terminal calls the number and watches until the broadcast ends (710-714, RTSP).
  ChildProcess& terminal = watch(kMaster, kViewer);
  // ffprobe plays a URL the control API admitted (RTSP/UDP).
  const auto play_url = api().admit_viewer(kMaster, kViewer2);
  ASSERT_TRUE(play_url);
  ChildProcess& rtsp_viewer = spawn(ffprobe_live_viewer(*play_url, 5, dir(), "ffprobe-viewer"));
  // A SIP phone calls the number (plain RTP).
  const auto phone_dir = dir() / "baresip-viewer";
  ChildProcess& phone =
      // 12 s: long enough to be counted beside the browser, whose Chromium starts slower.
      spawn(baresip_phone({phone_dir, kOther, kPassword, sip_domain(), kMaster, 12, {}}));
  ASSERT_TRUE(phone.started()) << phone.error();
  // And a second browser (WHEP).
  const int seconds = 5;
  ChildProcess& page = start_browser_watch(kBrowserViewer, seconds, "watch");

  // While they watch, /metrics counts each kind under the snapshot's transport: the phone as
  // rtp, the browser as webrtc, the terminal and ffprobe as RTSP (udp or tcp).
  std::string metrics;
  EXPECT_TRUE(wait_until(
      [&] {
        return viewers_metric(server(), "webrtc", &metrics) == 1 &&
               viewers_metric(server(), "rtp", &metrics) == 1;
      },
      20s))
      << metrics << "\n"
      << snapshot().dump();
  EXPECT_GE(viewers_metric(server(), "udp") + viewers_metric(server(), "tcp"), 1) << metrics;

  const nlohmann::json watched = script_result(page, 60s);
  expect_played(watched, seconds);
  std::printf("[e2e] browser watching the browser: join %d ms, %d frames in %d s, %dx%d\n",
              watched.value("join_ms", 0), watched.value("frames_decoded", 0), seconds,
              watched.value("frame_width", 0), watched.value("frame_height", 0));

  ASSERT_TRUE(rtsp_viewer.wait_for(30s));
  const auto decoded = decoded_from_ffprobe_json(file_text(rtsp_viewer.options().stdout_file),
                                                 file_text(rtsp_viewer.options().stderr_file));
  EXPECT_TRUE(decoded.error.empty()) << decoded.error;
  EXPECT_GT(decoded.video_frames, 2 * kPublishFps) << decoded.describe();
  EXPECT_GT(decoded.audio_frames, 0) << decoded.describe();
  std::printf("[e2e] ffprobe over RTSP: %s\n", decoded.describe().c_str());

  ASSERT_TRUE(phone.wait_for(30s));
  const std::string seen = file_text(phone_dir / "stdout.log");
  EXPECT_NE(seen.find("Call established"), std::string::npos) << seen;
  const auto picture = seen.find("video: receiving with resolution");
  EXPECT_NE(picture, std::string::npos) << seen;
  if (picture != std::string::npos) {
    std::printf("[e2e] baresip watching: %s\n",
                seen.substr(picture, seen.find('\n', picture) - picture).c_str());
  }
  EXPECT_NE(seen.find("incoming rtp for 'audio' established"), std::string::npos) << seen;

  // The broadcast page stays live its seconds, then Stop (DELETE of the WHIP session).
  const nlohmann::json sent = script_result(broadcaster, 60s);
  EXPECT_EQ(sent.value("ok", false), true) << sent.dump();
  EXPECT_EQ(sent.value("live", false), true) << sent.dump();
  EXPECT_EQ(sent.value("stopped", false), true) << sent.dump();
  std::printf("[e2e] browser broadcast: %s\n", sent.dump().c_str());

  // The page's Stop is the DELETE of the WHIP session: the master's call ends (703), the group
  // with it, and the terminal's call (BYE from the network side).
  EXPECT_TRUE(server().wait_for_log(
      std::string("terminal=") + kMaster + " step=703 event=call_ended role=master by=DELETE", 5s))
      << server().log_tail(6000);
  EXPECT_TRUE(wait_until([&] { return snapshot().is_null(); }, 10s)) << snapshot().dump();
  const auto terminal_exit = wait_exit(terminal, 15s);
  ASSERT_TRUE(terminal_exit);
  EXPECT_TRUE(terminal_exit->success()) << output(terminal);
  const auto figures = stats("watch-" + std::string(kViewer));
  ASSERT_TRUE(figures);
  EXPECT_GT(figures->value("frames_decoded", 0), 3 * kPublishFps) << figures->dump();
  EXPECT_EQ(figures->value("has_audio", false), true) << figures->dump();
  EXPECT_NE(figures->value("end", "").find("ended"), std::string::npos) << figures->dump();
  std::printf("[e2e] callcast watch of the browser: join %d ms, %d frames decoded, end \"%s\"\n",
              figures->value("join_ms", 0), figures->value("frames_decoded", 0),
              figures->value("end", "").c_str());
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 404; }, 5s));
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(BrowserWebRtcTest, TheConsoleShowsBrowserViewers) {
  start_live_broadcast();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 10s));
  const int seconds = 14;  // longer than the console script takes
  ChildProcess& page = start_browser_watch(kBrowserViewer, seconds, "watch");
  ASSERT_FALSE(wait_for_webrtc_viewer(kBrowserViewer, 20s).is_null());

  const auto screenshot = dir() / "console.png";
  ChildProcess& console = start_script(
      "console.mjs", {"--group", kMaster, "--seconds", "3", "--screenshot", screenshot.string()},
      "console");
  const nlohmann::json result = script_result(console, 60s);
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  EXPECT_EQ(result.value("viewers", 0), 1) << result.dump();
  ASSERT_TRUE(result["row"].is_object()) << result.dump();
  // "1 (browser 1)": the snapshot's "webrtc" viewer counted as a browser.
  EXPECT_EQ(result["row"].value("viewers", ""), "1 (browser 1)") << result.dump();
  EXPECT_EQ(result["row"].value("state", ""), "live") << result.dump();
  EXPECT_EQ(result.value("chart_moved", false), true) << result.dump();
  EXPECT_TRUE(file_larger_than(screenshot, 20'000)) << result.dump();
  std::printf("[e2e] console row: %s\n", result["row"].dump().c_str());

  expect_played(script_result(page, 60s), seconds);
}

// "Closing the tab, or the broadcaster hanging up, ends the session as a BYE does" (issue 14).
// On pagehide the pages end their session as Stop does: the DELETE (a keepalive fetch, which
// outlives the page) and the peer connection's close, whose DTLS close_notify ends the session on
// the media side by itself when the DELETE is lost. A browser killed outright says nothing: ICE
// consent (30 s without a check) ends a viewer, the publisher's stall and grace a broadcaster.
// Each test times the server from the tab's close (closed_at_ms of the script's line) to the end.

// Watches a `callcast broadcast` (one place: max_viewers_per_group = 1), then leaves as `how`:
// the viewer leaves the group, its call ends on the network side, and its admission is released
// (the next caller takes the one place).
void BrowserWebRtcTest::watch_then_leave(const PageEnd& how) {
  start_live_broadcast();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 10s));
  std::vector<std::string> args{
      "--number", kMaster, "--user", kBrowserViewer, "--password", kPassword,   "--seconds",
      "2",        "--end", how.end,  "--linger",     "50",         "--timeout", "58"};
  if (how.lose_delete) args.emplace_back("--lose-delete");
  ChildProcess& page = start_script("watch.mjs", args, "watch-" + how.end);
  ASSERT_FALSE(wait_for_webrtc_viewer(kBrowserViewer, 20s).is_null());
  EXPECT_EQ(signaling_stats().value("calls", -1), 2);  // the master's and the browser's

  const nlohmann::json result = reported_line(page, 30s);
  ASSERT_FALSE(result.is_discarded());
  ASSERT_EQ(result.value("ok", false), true) << result.dump();
  ASSERT_EQ(result.value("ended", ""), how.end) << result.dump();
  ASSERT_TRUE(result.contains("closed_at_ms")) << result.dump();

  const bool left = wait_until([&] { return find_viewer(snapshot(), kBrowserViewer).is_null(); },
                               how.within, 20ms);
  const long long left_ms = ms_since(result);
  EXPECT_TRUE(left) << snapshot().dump() << "\n" << server().log_tail(6000);
  const bool ended =
      wait_until([&] { return signaling_stats().value("calls", -1) == 1; }, how.within, 20ms);
  const long long ended_ms = ms_since(result);
  EXPECT_TRUE(ended) << signaling_stats().dump() << "\n" << server().log_tail(6000);
  EXPECT_TRUE(server().wait_for_log(
      std::string("terminal=") + kBrowserViewer + " step=714 event=call_ended role=viewer", 1s))
      << server().log_tail(6000);
  if (!how.media_reason.empty()) {
    EXPECT_TRUE(server().wait_for_log(std::string("terminal=") + kBrowserViewer +
                                          " step=714 event=webrtc_viewer_closed reason=\"" +
                                          how.media_reason,
                                      1s))
        << server().log_tail(6000);
  }
  EXPECT_EQ(snapshot().value("state", ""), "live");
  std::printf(
      "[e2e] watching browser, %s%s: left the group after %lld ms, call ended after %lld "
      "ms\n",
      how.end.c_str(), how.lose_delete ? " (no DELETE)" : "", left_ms, ended_ms);
  print_session_end(kBrowserViewer, "/whep/sessions/");
  expect_delete(how, "/whep/sessions/");

  ChildProcess& terminal = watch(kMaster, kViewer);
  EXPECT_TRUE(wait_for_output(terminal, "step 714", 20s));
  EXPECT_FALSE(find_viewer(snapshot(), kViewer).is_null()) << snapshot().dump();
  page.terminate();
}

// A browser broadcasts, `callcast watch` watches it, then the broadcaster's page leaves as `how`:
// the broadcast ends as the master's BYE ends it (703): the group goes, forwarding for the number
// is cleared (708 undone) and the terminal sees the broadcast end.
void BrowserWebRtcTest::broadcast_then_leave(const PageEnd& how) {
  std::vector<std::string> args{"--user", kMaster, "--password", kPassword, "--seconds", "4",
                                "--end",  how.end, "--linger",   "50",      "--timeout", "58"};
  if (how.lose_delete) args.emplace_back("--lose-delete");
  ChildProcess& broadcaster = start_script("broadcast.mjs", args, "broadcast-" + how.end);
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s))
      << file_text(broadcaster.options().stdout_file) << broadcaster.stderr_tail(3000);
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 200; }, 5s));
  ChildProcess& terminal = watch(kMaster, kViewer);
  ASSERT_TRUE(wait_for_output(terminal, "step 714", 20s));

  const nlohmann::json result = reported_line(broadcaster, 30s);
  ASSERT_FALSE(result.is_discarded());
  ASSERT_EQ(result.value("ok", false), true) << result.dump();
  ASSERT_EQ(result.value("ended", ""), how.end) << result.dump();
  ASSERT_TRUE(result.contains("closed_at_ms")) << result.dump();

  const bool gone = wait_until([&] { return snapshot().is_null(); }, how.within, 20ms);
  const long long gone_ms = ms_since(result);
  EXPECT_TRUE(gone) << snapshot().dump() << "\n" << server().log_tail(6000);
  EXPECT_TRUE(server().wait_for_log(
      std::string("terminal=") + kMaster + " step=703 event=call_ended role=master", 2s))
      << server().log_tail(6000);
  if (!how.media_reason.empty()) {
    EXPECT_TRUE(server().wait_for_log(std::string("terminal=") + kMaster + " step=705 event=" +
                                          "webrtc_publisher_closed reason=\"" + how.media_reason,
                                      1s))
        << server().log_tail(6000);
  }
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 404; }, 5s))
      << "forwarding of " << kMaster << " still set";
  const long long forwarding_ms = ms_since(result);
  const auto terminal_exit = wait_exit(terminal, 15s);
  const long long terminal_ms = ms_since(result);
  ASSERT_TRUE(terminal_exit);
  EXPECT_TRUE(terminal_exit->success()) << output(terminal);
  const auto figures = stats("watch-" + std::string(kViewer));
  ASSERT_TRUE(figures);
  EXPECT_NE(figures->value("end", "").find("ended"), std::string::npos) << figures->dump();
  // The broadcast's end, not the end of this viewer's own connection.
  EXPECT_EQ(figures->value("end", "").find("closed its connection"), std::string::npos)
      << figures->dump();
  EXPECT_TRUE(wait_all_clean());
  std::printf(
      "[e2e] broadcasting browser, %s%s: group gone after %lld ms, forwarding cleared by "
      "%lld ms, callcast watch exited after %lld ms (\"%s\")\n",
      how.end.c_str(), how.lose_delete ? " (no DELETE)" : "", gone_ms, forwarding_ms, terminal_ms,
      figures->value("end", "").c_str());
  print_session_end(kMaster, "/whip/sessions/");
  expect_delete(how, "/whip/sessions/");
  broadcaster.terminate();
}

TEST_F(BrowserWebRtcTest, ClosingAWatchingTabEndsItsCall) {
  watch_then_leave({"close", false, 5s, {}});
}

TEST_F(BrowserWebRtcTest, AWatchingTabClosedWithoutItsDeleteEndsOnCloseNotify) {
  watch_then_leave({"close", true, 5s, "the browser closed the connection"});
}

TEST_F(BrowserWebRtcTest, AKilledWatchingBrowserEndsWhenItsConsentExpires) {
  watch_then_leave({"kill", false, 16s, "ICE consent expired (no connectivity check for 10 s)"});
}

TEST_F(BrowserWebRtcTest, ClosingABroadcastingTabEndsTheBroadcast) {
  broadcast_then_leave({"close", false, 5s, {}});
}

TEST_F(BrowserWebRtcTest, ABroadcastingTabClosedWithoutItsDeleteEndsOnCloseNotify) {
  broadcast_then_leave({"close", true, 5s, "the browser closed the connection"});
}

// Its media stops: stalled after media.publisher_stall_s (2), master_lost past its grace (5).
TEST_F(BrowserWebRtcTest, AKilledBroadcastingBrowserEndsAfterItsGrace) {
  broadcast_then_leave({"kill", false, 12s, {}});
}

// The roles apart (README "Roles apart"): the fixture's server is `--role media`, a second
// callcastd `--role signaling --media-url` takes the calls. WHEP by number is the signaling role's,
// so the browser opens the signaling role's pages: its /watch calls by number on its own origin,
// its console reads the groups the signaling role gets from the media role.
class BrowserRolesApartTest : public BrowserWebRtcTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.role = "media";
    return options;
  }

  void SetUp() override {
    BrowserWebRtcTest::SetUp();
    if (HasFatalFailure()) return;
    ServerOptions options = BrowserWebRtcTest::server_options();
    options.role = "signaling";
    options.extra_args = {"--media-url",
                          "http://127.0.0.1:" + std::to_string(server().http_port())};
    const auto signaling_dir = dir() / "signaling";
    std::filesystem::create_directories(signaling_dir);
    signaling_ = std::make_unique<CallcastServer>(CALLCASTD_PATH, signaling_dir, options);
    ASSERT_TRUE(signaling_->start());
    ASSERT_EQ(signaling_->ready().rtsp_port, 0) << "the signaling role serves no RTSP";
  }

  void TearDown() override {
    signaling_.reset();  // before the media role, so that its last requests find it
    BrowserWebRtcTest::TearDown();
  }

  CallcastServer& signaling_server() override { return *signaling_; }

  std::unique_ptr<CallcastServer> signaling_;
};

TEST_F(BrowserRolesApartTest, ABrowserWatchesByNumberFromTheSignalingRolesPages) {
  start_live_broadcast();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 10s));
  // Both roles serve the pages: the signaling role's call by number, the media role's take
  // token links; the media role refuses a call by number and says where to make it.
  for (CallcastServer* role : {&signaling_server(), &server()}) {
    for (const char* page : {"/watch", "/broadcast", "/"}) {
      const HttpResult got = role->http().get(page);
      EXPECT_EQ(got.status, 200) << page << ": " << got.describe();
    }
  }
  // (The test's HTTP client posts JSON: the refusal comes before the offer is read.)
  const HttpResult by_number =
      server().http().post(std::string("/whep/") + kMaster, nlohmann::json::object());
  EXPECT_EQ(by_number.status, 404) << by_number.describe();
  EXPECT_NE(by_number.body.find("the signaling role takes calls by number"), std::string::npos)
      << by_number.body;

  const int seconds = 8;  // longer than the console script takes
  ChildProcess& page = start_browser_watch(kBrowserViewer, seconds, "watch");
  const nlohmann::json first = wait_for_webrtc_viewer(kBrowserViewer, 20s);
  ASSERT_FALSE(first.is_null());
  EXPECT_TRUE(signaling_->wait_for_log(
      std::string("terminal=") + kBrowserViewer + " step=710 event=whep_request", 1s))
      << signaling_->log_tail(6000);
  std::string metrics;
  EXPECT_EQ(viewers_metric(server(), "webrtc", &metrics), 1) << metrics;

  // The signaling role's console: the group and its browser viewer, read from the media role.
  const auto screenshot = dir() / "console.png";
  ChildProcess& console = start_script(
      "console.mjs", {"--group", kMaster, "--seconds", "3", "--screenshot", screenshot.string()},
      "console");
  const nlohmann::json shown = script_result(console, 40s);
  EXPECT_EQ(shown.value("ok", false), true) << shown.dump();
  ASSERT_TRUE(shown["row"].is_object()) << shown.dump();
  EXPECT_EQ(shown["row"].value("viewers", ""), "1 (browser 1)") << shown.dump();
  EXPECT_EQ(shown["row"].value("state", ""), "live") << shown.dump();

  const nlohmann::json result = script_result(page, 60s);
  expect_played(result, seconds);
  std::printf(
      "[e2e] roles apart, browser on the signaling role's /watch: join %d ms, %d frames in %d s, "
      "%d audio samples; console row %s\n",
      result.value("join_ms", 0), result.value("frames_decoded", 0), seconds,
      result.value("audio_samples_received", 0), shown["row"].dump().c_str());

  // Its Stop is the DELETE of the session on the signaling role: the call ends there, and the
  // media role's viewer with it; the broadcast goes on.
  EXPECT_TRUE(signaling_->wait_for_log(std::string("terminal=") + kBrowserViewer +
                                           " step=714 event=call_ended role=viewer by=DELETE",
                                       5s))
      << signaling_->log_tail(6000);
  EXPECT_TRUE(wait_until([&] { return find_viewer(snapshot(), kBrowserViewer).is_null(); }, 5s))
      << snapshot().dump();
  EXPECT_EQ(viewers_metric(server(), "webrtc", &metrics), 0) << metrics;
  EXPECT_EQ(snapshot().value("state", ""), "live");
}

// Across hosts (support/netns_lab.hpp): callcastd on the server host, bound to its address,
// `callcast broadcast` on the broadcaster's host, Chromium on the viewer host and on the host
// behind the masquerading router. ICE-lite answers each browser where its checks come from: the
// natted one through the router's public address.
class BrowserWebRtcNetnsTest : public LabTerminalTest {
 protected:
  BrowserWebRtcNetnsTest() : LabTerminalTest(CALLCASTD_PATH, CALLCAST_PATH, "browsernetns") {}

  void SetUp() override {
    const std::string missing = browser_setup_missing(kSource);
    ASSERT_EQ(missing, "") << "the browser tests need their set-up: " << missing;
    LabTerminalTest::SetUp();
  }

  // tests/browser/<script> on `host` (its namespace) against the server host's HTTP, with
  // Chromium's profile under a HOME of its own; its output in dir()/<name>.out and .err.
  ChildProcess& browser_script(const LabHost& host, const std::string& script,
                               const std::vector<std::string>& args, const std::string& name) {
    const auto home = dir() / (name + "-home");
    std::filesystem::create_directories(home);
    std::vector<std::string> argv = {
        "env",
        "HOME=" + home.string(),
        "XDG_CONFIG_HOME=" + (home / "config").string(),
        "XDG_CACHE_HOME=" + (home / "cache").string(),
        "node",
        script_path(script),
        "--base",
        "http://" + lab().server().address + ":" + std::to_string(kMediaHttpPort)};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildOptions options;
    options.argv = lab().in(host, std::move(argv));
    options.stdout_file = dir() / (name + ".out");
    options.stderr_file = dir() / (name + ".err");
    return spawn(std::move(options));
  }

  // watch.mjs on `host` as `viewer`.
  ChildProcess& browser_watch(const LabHost& host, const std::string& viewer, int seconds,
                              const std::string& name) {
    return browser_script(
        host, "watch.mjs",
        {"--number", kMaster, "--user", viewer, "--password", kPassword, "--seconds",
         std::to_string(seconds), "--screenshot", (dir() / (name + ".png")).string()},
        name);
  }
};

TEST_F(BrowserWebRtcNetnsTest, ABrowserOnAnotherHostAndOneBehindANatWatch) {
  listen_host_ = lab().server().address;
  media_config_ = "public_host = \"" + lab().server().address + "\"\n";
  start_server();
  start_live_broadcast();
  if (HasFailure()) return;

  const int seconds = 6;
  ChildProcess& lan = browser_watch(lab().viewer(), kViewer, seconds, "watch-lan");
  ChildProcess& natted = browser_watch(lab().natted_viewer(), kNattedViewer, seconds, "watch-nat");

  // While both play: their sessions' remote addresses as the server sees them.
  nlohmann::json lan_entry;
  nlohmann::json natted_entry;
  const bool both = wait_until(
      [&] {
        const auto group = group_snapshot();
        if (!group) return false;
        lan_entry = find_viewer(*group, kViewer);
        natted_entry = find_viewer(*group, kNattedViewer);
        const auto playing = [](const nlohmann::json& entry) {
          return !entry.is_null() && entry.value("transport", "") == "webrtc" &&
                 entry.value("packets_sent", 0) > 100;
        };
        return playing(lan_entry) && playing(natted_entry);
      },
      30s);
  EXPECT_TRUE(both) << "LAN: " << lan_entry.dump() << "\nNAT: " << natted_entry.dump();
  EXPECT_EQ(lan_entry.value("remote", "").rfind(lab().viewer().address + ":", 0), 0u)
      << lan_entry.dump();
  EXPECT_EQ(natted_entry.value("remote", "").rfind(lab().nat_public_address() + ":", 0), 0u)
      << "the natted browser is answered at the router's public address: " << natted_entry.dump();

  for (ChildProcess* page : {&lan, &natted}) {
    SCOPED_TRACE(page->options().stdout_file.filename().string());
    const nlohmann::json result = script_result(*page, 60s);
    EXPECT_EQ(result.value("ok", false), true) << result.dump() << "\n" << output(*page);
    EXPECT_GE(result.value("frames_decoded", 0), seconds * 25 * 7 / 10) << result.dump();
    EXPECT_GT(result.value("audio_samples_received", 0), 0) << result.dump();
    EXPECT_GT(result.value("video_variance", 0), kVarianceMin) << result.dump();
    std::printf("[e2e] %s: join %d ms, %d frames in %d s, %d audio samples\n",
                page->options().stdout_file.stem().c_str(), result.value("join_ms", 0),
                result.value("frames_decoded", 0), seconds,
                result.value("audio_samples_received", 0));
  }
  std::printf("[e2e] server's view: LAN %s; NAT %s\n", lan_entry.dump().c_str(),
              natted_entry.dump().c_str());
}

// Issue 14 with issue 12 item 4 ([0091]): a browser's broadcast feeds the same rate control as
// RTSP RECORD and phones. Chromium broadcasts from the broadcaster's host; its one viewer,
// `callcast watch` behind the router, loses kCongestedLoss of its UDP at random there, more than
// NACK repair makes whole (its budget is a quarter of the rate), so its path reads congested: the
// whole reporting audience. The group asks the browser for less, REMB in SRTCP naming the
// browser's video SSRC. Chromium takes a REMB as the receiver limit of its send-side estimate
// (libwebrtc SendSideBandwidthEstimation::UpdateReceiverEstimate, whatever the SSRCs it names,
// with no header extension needed: abs-send-time only serves a receiver's own estimate) and its
// encoder's target follows: getStats' outbound-rtp targetBitrate, from Chromium's own rate before
// the first request to at most what was asked. Its own rate grows from its 300 kbit/s start on our
// receiver reports (8 % a second while they say it loses under 2 %); without them it stayed there.
TEST_F(BrowserWebRtcNetnsTest, ABrowserBroadcasterFollowsTheRembOfItsCongestedGroup) {
  constexpr const char* kCongestedLoss = "0.4";
  // Chromium's own rate before the viewer joins.
  constexpr auto kOwnRate = 4s;
  // Its send-side estimate's start (libwebrtc's default start bitrate).
  constexpr std::uint64_t kChromiumStartBps = 300'000;
  // How long the test follows the requests once the first was seen (a decrease per second to
  // media.rate min_bps, then Chromium at that rate).
  constexpr auto kFollow = 8s;
  // How long after a request was seen (polled every 250 ms) Chromium's target must be under it:
  // its rate controller updates every 25 ms, the encoder's target within a frame or two.
  constexpr std::int64_t kFollowedWithinMs = 1000;
  listen_host_ = lab().server().address;
  media_config_ = "public_host = \"" + lab().server().address + "\"\n";
  CallcastServer& server = start_server();
  if (HasFailure()) return;

  const auto stop_file = dir() / "stop-broadcast";
  ChildProcess& page =
      browser_script(lab().broadcaster(), "broadcast.mjs",
                     {"--user", kMaster, "--password", kPassword, "--seconds", "40", "--timeout",
                      "55", "--sample-ms", "250", "--stop-file", stop_file.string()},
                     "broadcast");
  const bool live = wait_until(
      [&] {
        if (group_status() != 200) return false;
        const auto group = group_snapshot();
        return group && group->value("state", "") == "live" &&
               group->value("publisher", nlohmann::json::object()).value("transport", "") ==
                   "webrtc";
      },
      20s);
  ASSERT_TRUE(live) << output(page);
  std::this_thread::sleep_for(kOwnRate);

  // The router drops at random what it forwards to the viewer behind it, SIP apart (its call
  // must stay up); RTSP is TCP, and what the viewer sends (reports, NACKs) passes.
  ASSERT_TRUE(lab().run(lab().router(), {"iptables", "-I", "FORWARD", "-p", "udp", "-d",
                                         lab().natted_viewer().address, "!", "--sport",
                                         std::to_string(kSipPort), "-m", "statistic", "--mode",
                                         "random", "--probability", kCongestedLoss, "-j", "DROP"}));
  ChildProcess& viewer = watch(lab().natted_viewer(), kNattedViewer, {"--duration", "40"});

  // The group's requests as its snapshot shows them (target_bps: the last REMB's value), with
  // the time they were seen (the clock the page's samples use).
  struct Request {
    std::int64_t seen_ms;
    std::uint64_t bps;
  };
  const auto unix_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  std::vector<Request> requests;
  nlohmann::json group;
  std::optional<std::chrono::steady_clock::time_point> first_seen;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         !(first_seen && std::chrono::steady_clock::now() - *first_seen >= kFollow)) {
    std::this_thread::sleep_for(250ms);
    const auto snapshot = group_snapshot();
    if (!snapshot) continue;
    group = *snapshot;
    const nlohmann::json qos = group.value("qos", nlohmann::json::object());
    if (!qos.contains("target_bps") || !qos["target_bps"].is_number()) continue;
    const auto bps = qos["target_bps"].get<std::uint64_t>();
    if (requests.empty() || requests.back().bps != bps) requests.push_back({unix_ms(), bps});
    if (!first_seen) first_seen = std::chrono::steady_clock::now();
  }
  std::ofstream(stop_file) << "stop\n";
  const nlohmann::json result = script_result(page, 20s);
  viewer.terminate(SIGTERM, 5s);

  const nlohmann::json qos = group.value("qos", nlohmann::json::object());
  ASSERT_FALSE(requests.empty()) << "the group never asked the browser for less: " << group.dump()
                                 << "\n"
                                 << output(viewer);
  EXPECT_EQ(result.value("ok", false), true) << result.dump();
  const nlohmann::json samples = result.value("samples", nlohmann::json::array());
  ASSERT_GT(samples.size(), 20u) << result.dump();

  // Sent, as SRTCP to the browser: none unsent, and each names the browser's own video SSRC.
  EXPECT_GE(qos.value("bitrate_decreases", 0), 1) << group.dump();
  EXPECT_EQ(qos.value("bitrate_requests_unsent", -1), 0) << group.dump();
  const auto ssrc = samples.back().value("ssrc", std::uint64_t{0});
  EXPECT_TRUE(server.wait_for_log(
      "step=709 event=bitrate_request bps=" + std::to_string(requests.front().bps) +
          " ssrc=" + std::to_string(ssrc) + " sent=true",
      1s))
      << server.log_tail(6000);
  // Where its media comes from (its ICE-selected address), as for any publisher.
  const nlohmann::json browser = group.value("publisher", nlohmann::json::object());
  EXPECT_EQ(browser.value("remote", "").rfind(lab().broadcaster().address + ":", 0), 0u)
      << browser.dump();

  // The encoder's target and the bytes it sent per second over [from, to) of the samples.
  struct Window {
    std::uint64_t max_target_bps = 0;
    std::uint64_t last_target_bps = 0;
    double sent_bps = 0;
  };
  const auto window = [&](std::int64_t from, std::int64_t to) {
    Window w;
    const nlohmann::json* first = nullptr;
    const nlohmann::json* last = nullptr;
    for (const auto& sample : samples) {
      const auto at = sample.value("at", std::int64_t{0});
      if (at < from || at >= to || !sample["target_bps"].is_number()) continue;
      if (first == nullptr) first = &sample;
      last = &sample;
      w.last_target_bps = sample["target_bps"].get<std::uint64_t>();
      w.max_target_bps = std::max(w.max_target_bps, w.last_target_bps);
    }
    if (first != nullptr && last != first) {
      w.sent_bps =
          8.0 * static_cast<double>(last->value("bytes_sent", 0) - first->value("bytes_sent", 0)) /
          (static_cast<double>(last->value("at", 0) - first->value("at", 0)) / 1000.0);
    }
    return w;
  };
  const std::int64_t first_ms = requests.front().seen_ms;
  const std::int64_t end_ms = samples.back().value("at", std::int64_t{0}) + 1;
  // Before: from its first second live to a second before the first request was seen.
  const Window before =
      window(samples.front().value("at", std::int64_t{0}) + 1000, first_ms - kFollowedWithinMs);
  const Window after = window(requests.back().seen_ms + kFollowedWithinMs, end_ms);
  const std::uint64_t lowest = requests.back().bps;
  EXPECT_GT(before.max_target_bps, lowest * 5 / 4)
      << "Chromium's own target was no higher than what it was asked for: nothing to follow";
  EXPECT_GT(before.max_target_bps, kChromiumStartBps * 11 / 10)
      << "Chromium's estimate did not grow past its start on our receiver reports: " << browser;
  EXPECT_GT(browser.value("rtcp_receiver_reports_sent", 0), 3) << browser.dump();
  // Under each request within kFollowedWithinMs, until the next one.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::int64_t until = i + 1 < requests.size() ? requests[i + 1].seen_ms : end_ms;
    for (const auto& sample : samples) {
      const auto at = sample.value("at", std::int64_t{0});
      if (at < requests[i].seen_ms + kFollowedWithinMs || at >= until ||
          !sample["target_bps"].is_number() || !sample["available_bps"].is_number())
        continue;
      EXPECT_LE(sample.value("target_bps", std::uint64_t{0}), requests[i].bps)
          << "asked for " << requests[i].bps << " bps at " << requests[i].seen_ms << ": "
          << sample.dump();
      EXPECT_LE(sample.value("available_bps", std::uint64_t{0}), requests[i].bps) << sample.dump();
    }
  }
  EXPECT_GT(after.last_target_bps, 0u) << result.dump();
  // What it sent follows too (payload bytes; keyframes for the viewer's FIRs included).
  EXPECT_LE(after.sent_bps, static_cast<double>(lowest) * 1.2) << result.dump();

  std::string asked;
  for (const Request& r : requests)
    asked += (asked.empty() ? "" : " -> ") + std::to_string(r.bps);
  std::printf(
      "[e2e] browser broadcaster under REMB: before, target %llu bps, sent %.0f bit/s; asked %s "
      "bps (ceiling %llu); after, target %llu bps, sent %.0f bit/s\n[e2e]   group qos %s\n",
      static_cast<unsigned long long>(before.max_target_bps), before.sent_bps, asked.c_str(),
      static_cast<unsigned long long>(qos.value("ceiling_bps", std::uint64_t{0})),
      static_cast<unsigned long long>(after.last_target_bps), after.sent_bps, qos.dump().c_str());
}

}  // namespace
}  // namespace callcast::test::browser_webrtc_test
