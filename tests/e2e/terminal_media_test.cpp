// The terminal's GStreamer pipelines against a real callcastd: BroadcastPipeline publishes with
// rtspclientsink over TCP (steps 705, 708), WatchPipeline plays with rtspsrc (714) and records;
// ffprobe judges the recordings. The GLib main loop runs in the test thread, always bounded.
#include <glib.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"
#include "support/xvfb_display.hpp"
#include "terminal/media/broadcast_pipeline.hpp"
#include "terminal/media/watch_pipeline.hpp"

namespace callcast::test::terminal_media_test {
namespace {

using namespace std::chrono_literals;
using terminal::BroadcastCallbacks;
using terminal::BroadcastOptions;
using terminal::BroadcastPipeline;
using terminal::SourceSpec;
using terminal::WatchCallbacks;
using terminal::WatchOptions;
using terminal::WatchPipeline;
using Clock = std::chrono::steady_clock;

const std::string kMaster = "13800000001";
constexpr int kFps = 30;
// Set by the TCP fallback test when it runs itself again inside a network namespace where UDP
// on the loopback goes nowhere.
constexpr const char* kNoUdpEnv = "CALLCAST_TEST_UDP_BLACKHOLED";

// Runs the default main context (what the `callcast` program runs) until `done` or `timeout`.
bool run_loop_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void run_loop_for(std::chrono::milliseconds duration) {
  run_loop_until([] { return false; }, duration);
}

// A port nothing listens on: bound by the OS, then closed.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// What a pipeline's callbacks reported.
struct Outcome {
  bool streaming = false;  // on_streaming / on_first_frame
  bool finished = false;
  std::optional<std::string> error;
  std::optional<Clock::time_point> error_at;
  bool over() const { return finished || error.has_value(); }
};

BroadcastCallbacks broadcast_callbacks(Outcome& outcome) {
  BroadcastCallbacks callbacks;
  callbacks.on_streaming = [&outcome] { outcome.streaming = true; };
  callbacks.on_error = [&outcome](const std::string& text) {
    outcome.error = text;
    outcome.error_at = Clock::now();
  };
  callbacks.on_finished = [&outcome] { outcome.finished = true; };
  return callbacks;
}

WatchCallbacks watch_callbacks(Outcome& outcome) {
  return {[&outcome] { outcome.streaming = true; },
          [&outcome](const std::string& text) {
            outcome.error = text;
            outcome.error_at = Clock::now();
          },
          [&outcome] { outcome.finished = true; }};
}

BroadcastOptions small_broadcast() {
  BroadcastOptions options;
  options.width = 640;
  options.height = 360;
  options.fps = kFps;
  options.bitrate_kbps = 1000;
  return options;
}

class TerminalMediaTest : public E2eTest {
 protected:
  TerminalMediaTest() : E2eTest(CALLCASTD_PATH) {}

  // Starts a broadcast to a new group and waits until callcastd relays it.
  std::unique_ptr<BroadcastPipeline> broadcast(const BroadcastOptions& options, Outcome& outcome) {
    const std::string url = create_group(kMaster);
    auto pipeline = BroadcastPipeline::create(options);
    EXPECT_TRUE(pipeline.ok()) << pipeline.error();
    if (!pipeline.ok() || url.empty()) return nullptr;
    auto broadcaster = std::move(pipeline).value();
    broadcaster->start(url, broadcast_callbacks(outcome));
    EXPECT_TRUE(run_loop_until([&] { return outcome.streaming || outcome.over(); }, 10s))
        << "no on_streaming within 10 s";
    EXPECT_TRUE(outcome.streaming) << outcome.error.value_or("(no error)");
    return broadcaster;
  }

  std::unique_ptr<WatchPipeline> watch(const std::string& viewer, const WatchOptions& options,
                                       Outcome& outcome) {
    const std::string url = admit_viewer(kMaster, viewer);
    auto pipeline = WatchPipeline::create(options);
    EXPECT_TRUE(pipeline.ok()) << pipeline.error();
    if (!pipeline.ok() || url.empty()) return nullptr;
    auto watcher = std::move(pipeline).value();
    watcher->start(url, watch_callbacks(outcome));
    return watcher;
  }

  // stop() on each, then the loop runs until each reported its end (bounded).
  template <class Pipeline>
  void stop_all(const std::vector<std::pair<Pipeline*, Outcome*>>& pipelines) {
    for (auto& [pipeline, outcome] : pipelines)
      pipeline->stop();
    EXPECT_TRUE(run_loop_until(
        [&] {
          return std::all_of(pipelines.begin(), pipelines.end(),
                             [](const auto& p) { return p.second->over(); });
        },
        5s))
        << "a pipeline did not finish within 5 s of stop()";
    for (auto& [pipeline, outcome] : pipelines) {
      EXPECT_TRUE(outcome->finished) << outcome->error.value_or("");
    }
  }
};

// The recording holds what was sent while it ran: every frame of its window, H.264 and AAC,
// and nothing the decoder complains about. `sent_since_join`: the frames the broadcaster sent
// from the viewer's start to its end.
void expect_complete_recording(const std::filesystem::path& file, const DecodedMedia& media,
                               const std::vector<std::string>& codecs,
                               std::uint64_t sent_since_join) {
  SCOPED_TRACE(file.string());
  EXPECT_TRUE(media.error.empty()) << media.describe();
  std::vector<std::string> sorted = codecs;  // the stream order differs between containers
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"aac", "h264"}));
  const double window_s = media.video_last_s - media.video_first_s + 1.0 / kFps;
  const double sent = window_s * kFps;
  EXPECT_GE(window_s, 2.5) << media.describe();
  EXPECT_GE(media.video_frames, 0.95 * sent) << media.describe() << "; sent " << sent;
  // No frame twice: at most what was sent while it ran, plus the GOP the server replays on
  // joining. (Not the window's frames: the jitter buffer's skew correction squeezes the
  // timestamps of a burst, the join's or a forced IDR's, by up to a GOP under a loaded asan build.)
  const auto gop = static_cast<std::uint64_t>(small_broadcast().keyframe_interval_s * kFps);
  EXPECT_LE(static_cast<std::uint64_t>(media.video_frames), sent_since_join + gop)
      << media.describe() << "; sent since the join " << sent_since_join;
  EXPECT_GT(media.audio_frames, 0) << media.describe();
  EXPECT_EQ(media.decoder_errors, "");
}

void expect_plausible_latency(const terminal::WatchStats& stats) {
  ASSERT_FALSE(stats.latency_samples_ms.empty()) << "no frame clock read back";
  EXPECT_GE(stats.latency_samples_ms.size(), stats.frames_decoded / 2)
      << "the clock was read from too few of " << stats.frames_decoded << " frames";
  for (double sample : stats.latency_samples_ms) {
    ASSERT_GT(sample, 0);
    ASSERT_LT(sample, 2000);
  }
  std::vector<double> sorted = stats.latency_samples_ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("[latency] glass-to-glass over %zu frames: median %.0f ms, max %.0f ms\n",
              sorted.size(), sorted[sorted.size() / 2], sorted.back());
}

TEST_F(TerminalMediaTest, BroadcastIsRecordedAsMkvAndMp4WithVideoAudioAndFrameClock) {
  Outcome sender;
  auto broadcaster = broadcast(small_broadcast(), sender);
  ASSERT_TRUE(broadcaster && sender.streaming);

  WatchOptions mkv_options;
  mkv_options.record_path = (dir() / "viewer.mkv").string();
  WatchOptions mp4_options;
  mp4_options.record_path = (dir() / "viewer.mp4").string();
  Outcome mkv_outcome, mp4_outcome;
  const auto started = Clock::now();
  const auto sent_before = broadcaster->stats().frames_sent;
  auto mkv = watch("13900000001", mkv_options, mkv_outcome);
  auto mp4 = watch("13900000002", mp4_options, mp4_outcome);
  ASSERT_TRUE(mkv && mp4);
  EXPECT_TRUE(run_loop_until([&] { return mkv_outcome.streaming && mp4_outcome.streaming; }, 8s));
  run_loop_for(4s);
  ASSERT_FALSE(mkv_outcome.error) << *mkv_outcome.error;
  ASSERT_FALSE(mp4_outcome.error) << *mp4_outcome.error;
  stop_all<WatchPipeline>({{mkv.get(), &mkv_outcome}, {mp4.get(), &mp4_outcome}});
  const auto sent = broadcaster->stats();
  stop_all<BroadcastPipeline>({{broadcaster.get(), &sender}});

  EXPECT_GT(sent.frames_sent, 4u * kFps);
  EXPECT_GT(sent.kbps, 100);
  for (const auto* watcher : {mkv.get(), mp4.get()}) {
    const auto stats = watcher->stats();
    ASSERT_TRUE(stats.first_frame);
    std::printf(
        "[join] first frame %lld ms after start; %llu frames, %.1f fps, %.0f kbps, "
        "%llu packets, %llu lost, transport %s\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(*stats.first_frame - started)
                .count()),
        static_cast<unsigned long long>(stats.frames_decoded), stats.fps, stats.kbps,
        static_cast<unsigned long long>(stats.packets_received),
        static_cast<unsigned long long>(stats.packets_lost), stats.transport.c_str());
    EXPECT_EQ(stats.transport, "udp");
    EXPECT_TRUE(stats.has_audio);
    EXPECT_GT(stats.packets_received, 100u);
    EXPECT_NEAR(stats.fps, kFps, 5);
    expect_plausible_latency(stats);
  }
  for (const char* name : {"viewer.mkv", "viewer.mp4"}) {
    const auto file = dir() / name;
    expect_complete_recording(file, decode_file(file, dir()), stream_codecs(file, dir()),
                              sent.frames_sent - sent_before);
  }
}

TEST_F(TerminalMediaTest, CameraSwitchMidStreamKeepsTheRecordingDecodable) {
  BroadcastOptions options = small_broadcast();
  options.source2 = SourceSpec{SourceSpec::Kind::test, ""};
  Outcome sender;
  auto broadcaster = broadcast(options, sender);
  ASSERT_TRUE(broadcaster && sender.streaming);

  WatchOptions watch_options;
  watch_options.record_path = (dir() / "switch.mkv").string();
  Outcome viewer;
  const auto sent_before = broadcaster->stats().frames_sent;
  auto watcher = watch("13900000001", watch_options, viewer);
  ASSERT_TRUE(watcher);
  EXPECT_TRUE(run_loop_until([&] { return viewer.streaming; }, 8s));
  run_loop_for(2s);
  const auto frames_before = watcher->stats().frames_decoded;
  ASSERT_TRUE(broadcaster->switch_source());
  run_loop_for(2500ms);
  ASSERT_FALSE(viewer.error) << *viewer.error;
  EXPECT_GT(watcher->stats().frames_decoded, frames_before + 2 * kFps)
      << "decoding did not go on after the switch";
  stop_all<WatchPipeline>({{watcher.get(), &viewer}});
  const auto sent = broadcaster->stats();
  EXPECT_EQ(sent.active_source, 2);
  EXPECT_EQ(sent.switches, 1u);
  stop_all<BroadcastPipeline>({{broadcaster.get(), &sender}});

  const auto file = dir() / "switch.mkv";
  expect_complete_recording(file, decode_file(file, dir()), stream_codecs(file, dir()),
                            sent.frames_sent - sent_before);
  expect_plausible_latency(watcher->stats());
}

TEST_F(TerminalMediaTest, ConnectionRefusedIsReportedQuickly) {
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  auto broadcaster = BroadcastPipeline::create(small_broadcast());
  ASSERT_TRUE(broadcaster.ok()) << broadcaster.error();
  auto watcher = WatchPipeline::create(WatchOptions{});
  ASSERT_TRUE(watcher.ok()) << watcher.error();
  Outcome sender, viewer;
  const auto started = Clock::now();
  (*broadcaster)->start(url, broadcast_callbacks(sender));
  (*watcher)->start(url, watch_callbacks(viewer));
  ASSERT_TRUE(run_loop_until([&] { return sender.over() && viewer.over(); }, 5s));
  for (auto* outcome : {&sender, &viewer}) {
    ASSERT_TRUE(outcome->error);
    EXPECT_EQ(outcome->error->rfind("media connection refused: " + url, 0), 0u) << *outcome->error;
    EXPECT_EQ(outcome->error->find('\n'), std::string::npos) << "not one line";
    EXPECT_LT(*outcome->error_at - started, 3s);
  }
  EXPECT_FALSE(sender.streaming);
}

TEST_F(TerminalMediaTest, MissingSourceFileFailsAtCreate) {
  BroadcastOptions options = small_broadcast();
  options.source = SourceSpec{SourceSpec::Kind::file, (dir() / "no-such-clip.mp4").string()};
  const auto pipeline = BroadcastPipeline::create(options);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.error().find("no-such-clip.mp4"), std::string::npos) << pipeline.error();
}

TEST_F(TerminalMediaTest, BadUrlTokenIsAnError) {
  const std::string publish_url = create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(publish_url.empty() || play_url.empty());
  // The token is the URL's last path segment; change one character of it.
  auto forge = [](std::string url) {
    url.back() = url.back() == 'a' ? 'b' : 'a';
    return url;
  };
  auto broadcaster = BroadcastPipeline::create(small_broadcast());
  auto watcher = WatchPipeline::create(WatchOptions{});
  ASSERT_TRUE(broadcaster.ok() && watcher.ok());
  Outcome sender, viewer;
  (*broadcaster)->start(forge(publish_url), broadcast_callbacks(sender));
  (*watcher)->start(forge(play_url), watch_callbacks(viewer));
  ASSERT_TRUE(run_loop_until([&] { return sender.over() && viewer.over(); }, 12s))
      << "sender: " << sender.error.value_or("-") << "; viewer: " << viewer.error.value_or("-");
  ASSERT_TRUE(sender.error);
  ASSERT_TRUE(viewer.error);
  std::printf("[bad token] broadcast: %s\n[bad token] watch: %s\n", sender.error->c_str(),
              viewer.error->c_str());
  EXPECT_EQ(sender.error->rfind("media server", 0), 0u) << *sender.error;
  EXPECT_EQ(viewer.error->rfind("media server", 0), 0u) << *viewer.error;
  EXPECT_FALSE(sender.streaming);
}

// UDP from callcastd must reach nothing, so the viewer has to fall back to TCP. The test runs
// itself again under `unshare -rn` (a new user + network namespace, no root needed), where a
// policy route sends every UDP packet on the loopback into a blackhole.
TEST_F(TerminalMediaTest, ViewerFallsBackToTcpWhenUdpBringsNothing) {
  if (std::getenv(kNoUdpEnv) == nullptr) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::string setup =
        "ip link set lo up && ip rule add pref 10 ipproto udp lookup 100 && "
        "ip route add blackhole 127.0.0.0/8 table 100 && ip rule del pref 0 && "
        "ip rule add pref 100 lookup local";
    const ToolRun probe =
        run_tool({"unshare", "-rn", "sh", "-c", setup}, dir(), "netns-probe", 10s);
    if (!probe.ok()) {
      GTEST_SKIP() << "cannot blackhole UDP in a network namespace here: " << probe.err;
    }
    const ToolRun run =
        run_tool({"unshare", "-rn", "sh", "-c",
                  setup + " && " + kNoUdpEnv + "=1 exec " + self +
                      " --gtest_filter=TerminalMediaTest.ViewerFallsBackToTcpWhenUdpBringsNothing"},
                 dir(), "netns-run", 60s);
    std::printf("%s\n", run.out.substr(run.out.size() > 4000 ? run.out.size() - 4000 : 0).c_str());
    EXPECT_TRUE(run.ok()) << run.command << "\n" << run.out << "\n" << run.err;
    EXPECT_NE(run.out.find("[  PASSED  ] 1 test"), std::string::npos) << run.out;
    return;
  }
  Outcome sender;
  auto broadcaster = broadcast(small_broadcast(), sender);
  ASSERT_TRUE(broadcaster && sender.streaming);
  WatchOptions options;
  options.udp_timeout = 2s;
  Outcome viewer;
  const auto started = Clock::now();
  auto watcher = watch("13900000001", options, viewer);
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(run_loop_until([&] { return viewer.streaming || viewer.over(); }, 12s))
      << "no first frame over TCP within 12 s";
  ASSERT_FALSE(viewer.error) << *viewer.error;
  const auto joined = Clock::now() - started;
  run_loop_for(2s);
  const auto stats = watcher->stats();
  std::printf(
      "[fallback] first frame after %lld ms, transport %s, %llu frames\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(joined).count()),
      stats.transport.c_str(), static_cast<unsigned long long>(stats.frames_decoded));
  EXPECT_EQ(stats.transport, "tcp");
  EXPECT_GE(joined, 2s) << "first frame before the UDP timeout: was UDP really blocked?";
  EXPECT_GT(stats.frames_decoded, static_cast<std::uint64_t>(kFps));
  stop_all<WatchPipeline>({{watcher.get(), &viewer}});
  stop_all<BroadcastPipeline>({{broadcaster.get(), &sender}});
}

TEST_F(TerminalMediaTest, DisplayShowsThePictureOnXvfb) {
  XvfbDisplay display(dir());
  ASSERT_TRUE(display.ok()) << display.error();
  ::setenv("DISPLAY", display.name().c_str(), 1);
  Outcome sender;
  auto broadcaster = broadcast(small_broadcast(), sender);
  ASSERT_TRUE(broadcaster && sender.streaming);
  WatchOptions options;
  options.display = true;
  Outcome viewer;
  auto watcher = watch("13900000001", options, viewer);
  ASSERT_TRUE(watcher);
  EXPECT_TRUE(run_loop_until([&] { return viewer.streaming || viewer.over(); }, 8s));
  ASSERT_FALSE(viewer.error) << *viewer.error;
  run_loop_for(2s);
  // The grab runs on another thread while the loop keeps the pipeline going.
  auto grab =
      std::async(std::launch::async, [&] { return display.luma_variance(dir() / "display.png"); });
  run_loop_until([&] { return grab.wait_for(0s) == std::future_status::ready; }, 20s);
  const std::optional<double> variance = grab.get();
  const auto stats = watcher->stats();
  std::printf("[display] %llu frames decoded, %.1f fps\n",
              static_cast<unsigned long long>(stats.frames_decoded), stats.fps);
  ASSERT_TRUE(variance) << "x11grab failed";
  std::printf("[display] screenshot luma variance %.0f\n", *variance);
  EXPECT_GT(*variance, 500) << "the screen looks blank; see " << (dir() / "display.png");
  EXPECT_GT(stats.frames_decoded, static_cast<std::uint64_t>(kFps));
  stop_all<WatchPipeline>({{watcher.get(), &viewer}});
  stop_all<BroadcastPipeline>({{broadcaster.get(), &sender}});
  ::unsetenv("DISPLAY");
}

}  // namespace
}  // namespace callcast::test::terminal_media_test
