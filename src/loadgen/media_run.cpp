#include "loadgen/media_run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "loadgen/callcastd_process.hpp"
#include "loadgen/cpu_usage.hpp"
#include "loadgen/http_client.hpp"
#include "loadgen/latency_summary.hpp"
#include "loadgen/media_clip_sdp.hpp"
#include "loadgen/media_publisher.hpp"
#include "loadgen/open_files_limit.hpp"
#include "loadgen/process_usage.hpp"
#include "loadgen/publish_ledger.hpp"
#include "loadgen/publish_sink.hpp"
#include "loadgen/ready_line.hpp"
#include "loadgen/rtsp_publisher.hpp"
#include "loadgen/scratch_dir.hpp"
#include "loadgen/server_process.hpp"
#include "loadgen/viewer_fleet.hpp"

namespace callcast::loadgen {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kReadyTimeout = 15s;
constexpr auto kStopGrace = 5s;
constexpr auto kRtspTimeout = 5s;
constexpr auto kSettle = 2s;            // after the last viewer played, before the window
constexpr auto kStragglers = 1s;        // after the window, before the bitsets are read
constexpr auto kFirstKeyframe = 700ms;  // publishing before the first viewer
constexpr double kBusyLimitPct = 95;
// Descriptors the bench holds besides its viewers' (publisher, receivers' epolls, pipes, logs).
constexpr std::uint64_t kSpareDescriptors = 256;
const std::string kMaster = "13800000001";

double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

std::string viewer_number(std::size_t i) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "139%08zu", i + 1);
  return digits;
}

// A port nobody listens on now (bind 0, read, close): the peer's RTP inputs.
std::uint16_t free_port(int type) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

bool supports_workers_flag(const std::filesystem::path& callcastd) {
  const std::string command = "'" + callcastd.string() + "' --help 2>&1";
  FILE* help = popen(command.c_str(), "r");
  if (!help) return false;
  std::string text;
  char chunk[4096];
  for (int round = 0; round < 64; ++round) {
    const std::size_t n = fread(chunk, 1, sizeof chunk, help);
    if (n == 0) break;
    text.append(chunk, n);
  }
  pclose(help);
  return text.find("--workers") != std::string::npos;
}

std::optional<std::string> json_string(const std::string& body, const char* key) {
  const auto document = nlohmann::json::parse(body, nullptr, false);
  if (!document.is_object() || !document.contains(key) || !document[key].is_string()) {
    return std::nullopt;
  }
  return document[key].get<std::string>();
}

// What a started target offers the run.
struct StartedTarget {
  std::unique_ptr<ServerProcess> process;
  std::unique_ptr<PublishSink> sink;
  std::vector<std::string> play_urls;  // callcast: one per viewer; peer: one for all
  std::uint16_t join_port = 0;         // limit
  bool workers_passed = false;
};

// A callcastd of the run (the one node, or the origin or the edge of an origin+edge run),
// configured and started in `dir`, pinned to `cpus`.
struct StartedNode {
  std::unique_ptr<ServerProcess> process;
  ReadyLine endpoints;
  bool workers_passed = false;
};

Result<StartedNode, std::string> start_callcastd_node(const MediaRunOptions& options,
                                                      const std::filesystem::path& dir,
                                                      const std::vector<int>& cpus) {
  StartedNode node;
  std::ofstream config(dir / "callcastd.toml");
  config << "[media]\nmax_viewers_per_group = 100000\nmax_connections = 100000\n";
  const bool timeout_set =
      std::any_of(options.media_config.begin(), options.media_config.end(),
                  [](const std::string& line) { return line.starts_with("session_timeout_s"); });
  if (options.phone_viewers > 0 && !timeout_set) {
    // A real phone sends RTCP receiver reports every few seconds; the bench's phones send
    // nothing, so a long ramp would outlast the 60 s that a silent phone is kept.
    config << "session_timeout_s = 3600\n";
  }
  for (const auto& line : options.media_config)
    config << line << "\n";
  config << "[sip]\nusers_file = \"" << (dir / "users").string() << "\"\n"
         << "forwarding_db = \"" << (dir / "forwarding.sqlite").string() << "\"\n";
  config.close();
  if (!config) return fail("cannot write " + (dir / "callcastd.toml").string());
  std::ofstream(dir / "users").close();
  const auto binary = options.callcastd.empty() ? default_callcastd() : options.callcastd;
  if (access(binary.c_str(), X_OK) != 0) {
    return fail("callcastd not found: " + binary.string() +
                " (build it, or name it with --callcastd)");
  }
  std::vector<std::string> args = {"--config",    (dir / "callcastd.toml").string(),
                                   "--rtsp",      "127.0.0.1:0",
                                   "--http",      "127.0.0.1:0",
                                   "--sip",       "127.0.0.1:0",
                                   "--rtp-ports", "0-0",
                                   "--log-level", "info"};
  if (supports_workers_flag(binary)) {
    args.push_back("--workers");
    args.push_back(std::to_string(options.workers));
    node.workers_passed = true;
  }
  auto started = ServerProcess::start(binary, args, cpus, dir / "callcastd.log", kReadyTimeout);
  if (!started) return fail("callcastd did not start: " + started.error());
  node.process = std::move(started).value();
  auto endpoints = parse_ready_line(node.process->ready_line());
  if (!endpoints) return fail(endpoints.error());
  node.endpoints = *endpoints;
  return node;
}

Result<StartedTarget, std::string> start_callcast(const MediaRunOptions& options,
                                                  const std::filesystem::path& dir,
                                                  const MediaClip& clip,
                                                  const PacketizedClip& packets) {
  StartedTarget target;
  auto node = start_callcastd_node(options, dir, options.server_cpus);
  if (!node) return fail(node.error());
  target.process = std::move(node->process);
  target.workers_passed = node->workers_passed;
  const HttpClient http(node->endpoints.http, kRtspTimeout);
  const HttpReply group =
      http.request("POST", "/v1/groups", nlohmann::json{{"master", kMaster}}.dump(), {});
  const auto publish_url = json_string(group.body, "publish_url");
  if (group.status != 201 || !publish_url) return fail("create group: " + group.describe());
  auto fd = rtsp_record(*publish_url, clip_sdp(clip, packets.settings), kRtspTimeout);
  if (!fd) return fail("publish: " + fd.error() + "; server log:\n" + target.process->log_tail());
  target.sink = std::make_unique<InterleavedTcpSink>(*fd);
  return target;
}

Result<bool, std::string> admit_callcast_viewers(const MediaRunOptions& options,
                                                 StartedTarget& target,
                                                 Clock::time_point deadline) {
  auto endpoints = parse_ready_line(target.process->ready_line());
  if (!endpoints) return fail(endpoints.error());
  const HttpClient http(endpoints->http, kRtspTimeout);
  for (std::size_t i = 0; i < options.viewers; ++i) {
    if (Clock::now() > deadline) return fail("admitting viewers took too long");
    const HttpReply reply = http.request("POST", "/v1/groups/" + kMaster + "/viewers",
                                         nlohmann::json{{"viewer", viewer_number(i)}}.dump(), {});
    const auto url = json_string(reply.body, "play_url");
    if (reply.status != 201 || !url) {
      return fail("admit viewer " + viewer_number(i) + ": " + reply.describe());
    }
    target.play_urls.push_back(*url);
  }
  return true;
}

// The edge node of an origin+edge run (issue 15) and the play URLs of its viewers.
struct StartedEdge {
  std::unique_ptr<ServerProcess> process;
  std::vector<std::string> play_urls;
};

// The origin's viewer that the edge pulls as: a name no bench viewer has.
const std::string kEdgeViewer = "edge-bench";

// Starts the edge callcastd, opens the group on it as an edge of `origin` (the origin admits
// "edge-bench"; its play URL, token included, goes to POST /v1/edges), waits until the edge
// relays video, then admits viewers first..first+count-1 on the edge.
Result<StartedEdge, std::string> start_edge(const MediaRunOptions& options,
                                            const std::filesystem::path& dir,
                                            const StartedTarget& origin, std::size_t first,
                                            std::size_t count, Clock::time_point deadline) {
  StartedEdge edge;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  auto node = start_callcastd_node(
      options, dir, options.edge_cpus.empty() ? options.server_cpus : options.edge_cpus);
  if (!node) return fail("edge: " + node.error());
  edge.process = std::move(node->process);
  const auto origin_endpoints = parse_ready_line(origin.process->ready_line());
  if (!origin_endpoints) return fail(origin_endpoints.error());
  const HttpClient origin_http(origin_endpoints->http, kRtspTimeout);
  const HttpReply admitted =
      origin_http.request("POST", "/v1/groups/" + kMaster + "/viewers",
                          nlohmann::json{{"viewer", kEdgeViewer}}.dump(), {});
  const auto origin_url = json_string(admitted.body, "play_url");
  if (admitted.status != 201 || !origin_url) {
    return fail("admit " + kEdgeViewer + " at the origin: " + admitted.describe());
  }
  const HttpClient edge_http(node->endpoints.http, kRtspTimeout);
  const HttpReply opened = edge_http.request(
      "POST", "/v1/edges",
      nlohmann::json{{"group", kMaster}, {"master", kMaster}, {"origin_url", *origin_url}}.dump(),
      {});
  if (opened.status != 201) return fail("POST /v1/edges on the edge: " + opened.describe());
  // Live with video relayed: the edge's pull plays, so its viewers join a flowing group.
  bool relaying = false;
  HttpReply last;
  const auto relay_deadline = std::min(deadline, Clock::now() + 15s);
  while (!relaying && Clock::now() < relay_deadline) {
    last = edge_http.request("GET", "/v1/groups/" + kMaster, "", {});
    const auto group = nlohmann::json::parse(last.body, nullptr, false);
    if (last.status == 200 && group.is_object() && group.value("state", "") == "live" &&
        group.contains("tracks") && group["tracks"].is_array()) {
      for (const auto& track : group["tracks"]) {
        if (track.is_object() && track.value("media", "") == "video" &&
            track.value("packets", std::uint64_t{0}) > 0) {
          relaying = true;
        }
      }
    }
    if (!relaying) std::this_thread::sleep_for(100ms);
  }
  if (!relaying) {
    return fail("the edge did not relay the group's video within 15 s; last snapshot: " +
                last.describe() + "; edge log:\n" + edge.process->log_tail());
  }
  for (std::size_t i = first; i < first + count; ++i) {
    if (Clock::now() > deadline) return fail("admitting the edge's viewers took too long");
    const HttpReply reply =
        edge_http.request("POST", "/v1/groups/" + kMaster + "/viewers",
                          nlohmann::json{{"viewer", viewer_number(i)}}.dump(), {});
    const auto url = json_string(reply.body, "play_url");
    if (reply.status != 201 || !url) {
      return fail("admit viewer " + viewer_number(i) + " at the edge: " + reply.describe());
    }
    edge.play_urls.push_back(*url);
  }
  return edge;
}

// The phone-style viewers' start (issue 13): each admitted (POST viewers), then its plain RTP
// started to the bench's sockets (POST phone-viewers) under the group's own payload types, so
// the phones share the RTSP viewers' packets (no rewritten variant).
PhoneStarter phone_starter(const StartedTarget& target) {
  const auto endpoints = parse_ready_line(target.process->ready_line());
  std::optional<core::HostPort> http_address;
  if (endpoints) http_address = endpoints->http;
  return [http_address](std::size_t i, const PhonePorts& ports) -> std::string {
    if (!http_address) return "no HTTP address in callcastd's ready line";
    const HttpClient http(*http_address, kRtspTimeout);
    const HttpReply admitted =
        http.request("POST", "/v1/groups/" + kMaster + "/viewers",
                     nlohmann::json{{"viewer", viewer_number(i)}}.dump(), {});
    const auto document = nlohmann::json::parse(admitted.body, nullptr, false);
    if (admitted.status != 201 || !document.is_object() || !document.contains("tracks") ||
        !document["tracks"].is_array()) {
      return "admit: " + admitted.describe();
    }
    nlohmann::json tracks = nlohmann::json::array();
    for (const auto& track : document["tracks"]) {
      const std::string media = track.value("media", "");
      if (media != "video" && media != "audio") continue;
      const bool video = media == "video";
      tracks.push_back({{"media", media},
                        {"host", "127.0.0.1"},
                        {"rtp_port", video ? ports.video_rtp : ports.audio_rtp},
                        {"rtcp_port", video ? ports.video_rtcp : ports.audio_rtcp},
                        {"payload_type", track.value("payload_type", 0)}});
    }
    const HttpReply started = http.request(
        "POST", "/v1/groups/" + kMaster + "/phone-viewers",
        nlohmann::json{
            {"viewer", viewer_number(i)}, {"signaling_address", "127.0.0.1"}, {"tracks", tracks}}
            .dump(),
        {});
    if (started.status != 201) return "phone-viewers: " + started.describe();
    return {};
  };
}

// The WebRTC viewers' start (issue 14): each admitted (POST viewers), then its offer posted
// (POST webrtc-viewers, as callcastd's WHEP handler does for a browser); the answer back.
WebRtcStarter webrtc_starter(const StartedTarget& target) {
  const auto endpoints = parse_ready_line(target.process->ready_line());
  std::optional<core::HostPort> http_address;
  if (endpoints) http_address = endpoints->http;
  return
      [http_address](std::size_t i, const std::string& offer) -> Result<std::string, std::string> {
        if (!http_address) return fail(std::string("no HTTP address in callcastd's ready line"));
        const HttpClient http(*http_address, kRtspTimeout);
        const HttpReply admitted =
            http.request("POST", "/v1/groups/" + kMaster + "/viewers",
                         nlohmann::json{{"viewer", viewer_number(i)}}.dump(), {});
        if (admitted.status != 201) return fail("admit: " + admitted.describe());
        const HttpReply started = http.request(
            "POST", "/v1/groups/" + kMaster + "/webrtc-viewers",
            nlohmann::json{
                {"viewer", viewer_number(i)}, {"offer", offer}, {"source_address", "127.0.0.1"}}
                .dump(),
            {});
        const auto answer = json_string(started.body, "answer");
        if (started.status != 201 || !answer) return fail("webrtc-viewers: " + started.describe());
        return *answer;
      };
}

// What callcastd says of viewers first..first+count-1 (GET /v1/groups/{group}): how many play,
// the packets it sent them and the receiver reports it took from them (for WebRTC viewers: SRTCP
// it decrypted). Empty when the snapshot cannot be had.
nlohmann::ordered_json server_view_of(const StartedTarget& target, std::size_t first,
                                      std::size_t count) {
  const auto endpoints = parse_ready_line(target.process->ready_line());
  if (!endpoints) return {};
  const HttpClient http(endpoints->http, kRtspTimeout);
  const HttpReply reply = http.request("GET", "/v1/groups/" + kMaster, "", {});
  const auto document = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || !document.is_object() || !document.contains("viewers") ||
      !document["viewers"].is_array()) {
    return {};
  }
  std::set<std::string> numbers;
  for (std::size_t i = first; i < first + count; ++i)
    numbers.insert(viewer_number(i));
  std::uint64_t playing = 0;
  std::uint64_t packets = 0;
  std::uint64_t dropped = 0;
  std::uint64_t reports = 0;
  for (const auto& viewer : document["viewers"]) {
    if (!viewer.is_object() || !numbers.contains(viewer.value("viewer", ""))) continue;
    if (viewer.value("state", "") == "playing") ++playing;
    packets += viewer.value("packets_sent", std::uint64_t{0});
    dropped += viewer.value("packets_dropped", std::uint64_t{0});
    reports += viewer.value("rtcp_reports", std::uint64_t{0});
  }
  return {{"playing", playing},
          {"packets_sent", packets},
          {"packets_dropped", dropped},
          {"rtcp_reports", reports}};
}

Result<StartedTarget, std::string> start_peer(const MediaRunOptions& options,
                                              const std::filesystem::path& dir,
                                              const MediaClip& clip) {
  StartedTarget target;
  if (options.peer_binary.empty() || access(options.peer_binary.c_str(), X_OK) != 0) {
    return fail("peer binary not found: '" + options.peer_binary.string() +
                "' (build it with bench/fanout.sh, or name it with --peer-binary)");
  }
  const std::uint16_t rtsp_port = free_port(SOCK_STREAM);
  const std::uint16_t video_port = free_port(SOCK_DGRAM);
  const std::uint16_t audio_port = free_port(SOCK_DGRAM);
  const std::vector<std::string> args = {"--rtsp-port",    std::to_string(rtsp_port),
                                         "--video-port",   std::to_string(video_port),
                                         "--audio-port",   std::to_string(audio_port),
                                         "--audio-config", hex(clip.audio_specific_config),
                                         "--max-threads",  std::to_string(options.peer_threads)};
  auto started = ServerProcess::start(options.peer_binary, args, options.server_cpus,
                                      dir / "peer.log", kReadyTimeout);
  if (!started) return fail("peer did not start: " + started.error());
  target.process = std::move(started).value();
  const std::string& line = target.process->ready_line();
  if (line.rfind("ready ", 0) != 0) return fail("peer: unexpected ready line: " + line);
  target.play_urls.push_back(line.substr(6));
  target.sink = std::make_unique<UdpSink>(video_port, audio_port);
  return target;
}

Result<StartedTarget, std::string> start_limit(const MediaRunOptions& options,
                                               const std::filesystem::path& dir) {
  StartedTarget target;
  if (options.limit_binary.empty() || access(options.limit_binary.c_str(), X_OK) != 0) {
    return fail("limit binary not found: '" + options.limit_binary.string() +
                "' (build it with bench/fanout.sh, or name it with --limit-binary)");
  }
  const std::uint16_t port = free_port(SOCK_DGRAM);
  auto started = ServerProcess::start(options.limit_binary, {"--port", std::to_string(port)},
                                      options.server_cpus, dir / "limit.log", kReadyTimeout);
  if (!started) return fail("limit did not start: " + started.error());
  target.process = std::move(started).value();
  if (target.process->ready_line() != "ready " + std::to_string(port)) {
    return fail("limit: unexpected ready line: " + target.process->ready_line());
  }
  target.join_port = port;
  target.sink = std::make_unique<UdpSink>(port, port);
  return target;
}

void progress(const MediaRunOptions& options, const std::string& text) {
  if (options.progress) std::cerr << "callcast-bench media: " << text << std::endl;
}

}  // namespace

const char* to_string(MediaTarget target) {
  switch (target) {
    case MediaTarget::callcast:
      return "callcast";
    case MediaTarget::peer:
      return "peer";
    case MediaTarget::limit:
      return "limit";
  }
  return "?";
}

std::filesystem::path default_callcastd() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "callcastd";
  return (self.parent_path() / ".." / "callcastd" / "callcastd").lexically_normal();
}

std::size_t viewers_within(std::uint64_t open_files, MediaTarget target) {
  const std::size_t per_viewer = target == MediaTarget::limit ? ViewerFleet::kJoinViewerDescriptors
                                                              : ViewerFleet::kRtspViewerDescriptors;
  if (open_files <= kSpareDescriptors) return 0;
  return static_cast<std::size_t>((open_files - kSpareDescriptors) / per_viewer);
}

Result<MediaRunResult, std::string> run_media_once(const MediaRunOptions& options,
                                                   const MediaClip& clip,
                                                   const PacketizedClip& packets) {
  // Every phase below is bounded; this bounds their sum.
  const auto run_deadline =
      Clock::now() + 60s +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          options.duration_s +
          3.0 *
              static_cast<double>(options.viewers * (options.edge ? 2 : 1) + options.phone_viewers +
                                  options.webrtc_viewers) /
              options.ramp_rate));
  if (options.phone_viewers > 0 && options.target != MediaTarget::callcast) {
    return fail(std::string("--phone-viewers needs --target callcast"));
  }
  if (options.webrtc_viewers > 0 && options.target != MediaTarget::callcast) {
    return fail(std::string("WebRTC viewers need --target callcast"));
  }
  if (options.edge && options.target != MediaTarget::callcast) {
    return fail(std::string("--edge needs --target callcast"));
  }
  if (options.edge && (options.phone_viewers > 0 || options.webrtc_viewers > 0)) {
    return fail(std::string("--edge runs RTSP viewers only (no phone or WebRTC viewers)"));
  }
  // Origin+edge: `viewers` at the origin (0..N-1), as many at the edge (N..2N-1).
  const std::size_t rtsp_viewers = options.viewers * (options.edge ? 2 : 1);
  const std::size_t all_viewers = rtsp_viewers + options.phone_viewers + options.webrtc_viewers;
  if (all_viewers == 0) return fail(std::string("no viewer to run"));
  const OpenFilesLimit limit = current_open_files_limit();
  // A phone costs kPhoneViewerDescriptors, counted here as that many RTSP viewers' worth.
  const std::size_t phone_share = (options.phone_viewers * ViewerFleet::kPhoneViewerDescriptors +
                                   ViewerFleet::kRtspViewerDescriptors - 1) /
                                  ViewerFleet::kRtspViewerDescriptors;
  const std::size_t webrtc_share = (options.webrtc_viewers * ViewerFleet::kWebRtcViewerDescriptors +
                                    ViewerFleet::kRtspViewerDescriptors - 1) /
                                   ViewerFleet::kRtspViewerDescriptors;
  if (rtsp_viewers + phone_share + webrtc_share > viewers_within(limit.soft, options.target)) {
    return fail(std::string(kBenchFailed) + std::to_string(all_viewers) +
                " viewers need more descriptors than " + limit.describe() +
                " allows the bench (at most " +
                std::to_string(viewers_within(limit.soft, options.target)) +
                " viewers; raise the hard limit: ulimit -Hn, or run with CAP_SYS_RESOURCE)");
  }
  auto scratch = ScratchDir::create("callcast-bench-media");
  if (!scratch) return fail(scratch.error());
  if (options.keep_dir) {
    scratch->keep();
    progress(options, "scratch directory " + scratch->path().string());
  }
  const auto& dir = scratch->path();

  PublishLedger ledger(packets);
  MeasureWindow window;
  window.capacity =
      static_cast<std::size_t>(packets.packets_per_second() * (options.duration_s + 4) * 1.5) +
      1024;

  Result<StartedTarget, std::string> started = fail(std::string("no target"));
  switch (options.target) {
    case MediaTarget::callcast:
      started = start_callcast(options, dir, clip, packets);
      break;
    case MediaTarget::peer:
      started = start_peer(options, dir, clip);
      break;
    case MediaTarget::limit:
      started = start_limit(options, dir);
      break;
  }
  if (!started) return fail(started.error());
  StartedTarget target = std::move(started).value();
  const pid_t server_pid = target.process->pid();
  progress(options, std::string(to_string(options.target)) + " started, pid " +
                        std::to_string(server_pid) + ", CPUs " + allowed_cpus(server_pid));

  MediaPublisher publisher(packets, ledger, std::move(target.sink));
  publisher.start();
  std::this_thread::sleep_for(kFirstKeyframe);
  if (options.target == MediaTarget::callcast) {
    auto admitted = admit_callcast_viewers(options, target, run_deadline);
    if (!admitted) return fail(admitted.error());
  }
  StartedEdge edge;
  if (options.edge) {
    auto started_edge =
        start_edge(options, dir / "edge", target, options.viewers, options.viewers, run_deadline);
    if (!started_edge) return fail(started_edge.error());
    edge = std::move(started_edge).value();
    target.play_urls.insert(target.play_urls.end(), edge.play_urls.begin(), edge.play_urls.end());
    progress(options, "edge started, pid " + std::to_string(edge.process->pid()) + ", CPUs " +
                          allowed_cpus(edge.process->pid()) + ", relaying the group");
  }

  const auto rss_before = sample_process(server_pid);
  FleetOptions fleet_options;
  fleet_options.viewers = all_viewers;
  fleet_options.webrtc_audio = options.webrtc_audio;
  fleet_options.ramp_rate = options.ramp_rate;
  fleet_options.receive_cpus = options.bench_cpus;
  fleet_options.window_capacity = window.capacity;
  fleet_options.video_payload_type = packets.settings.video_payload_type;
  fleet_options.viewer_gro = options.viewer_gro;
  if (options.edge) fleet_options.edge_viewers_from = options.viewers;
  ViewerFleet fleet(fleet_options, window, ledger);
  progress(options, "ramping " + std::to_string(rtsp_viewers) + " viewers" +
                        (options.edge ? std::string(" (half at the edge)") : std::string()) +
                        (options.phone_viewers > 0
                             ? " and " + std::to_string(options.phone_viewers) + " phone viewers"
                             : std::string()) +
                        (options.webrtc_viewers > 0
                             ? " and " + std::to_string(options.webrtc_viewers) + " WebRTC viewers"
                             : std::string()) +
                        " at " + std::to_string(static_cast<int>(options.ramp_rate)) + "/s");
  const auto ramp_start = Clock::now();
  RampOutcome ramp;
  if (options.target == MediaTarget::limit) {
    ramp = fleet.ramp_join(target.join_port, run_deadline - 20s);
  } else {
    const auto& urls = target.play_urls;
    ramp = fleet.ramp_rtsp([&urls](std::size_t i) { return urls[std::min(i, urls.size() - 1)]; },
                           run_deadline - 20s, rtsp_viewers);
  }
  const auto merge = [&ramp](const RampOutcome& more) {
    ramp.playing += more.playing;
    ramp.setup_ms.insert(ramp.setup_ms.end(), more.setup_ms.begin(), more.setup_ms.end());
    ramp.failed += more.failed;
    ramp.timed_out = ramp.timed_out || more.timed_out;
    if (ramp.first_error.empty()) ramp.first_error = more.first_error;
    if (ramp.bench_error.empty()) ramp.bench_error = more.bench_error;
  };
  if (options.phone_viewers > 0) {
    merge(fleet.ramp_phones(rtsp_viewers, phone_starter(target), run_deadline - 20s,
                            options.phone_viewers));
  }
  RampOutcome browsers;
  if (options.webrtc_viewers > 0) {
    browsers = fleet.ramp_webrtc(options.viewers + options.phone_viewers, options.webrtc_viewers,
                                 webrtc_starter(target), run_deadline - 20s);
    merge(browsers);
  }
  const double ramp_s = std::chrono::duration<double>(Clock::now() - ramp_start).count();
  if (!ramp.bench_error.empty()) {
    return fail(std::string(kBenchFailed) + ramp.bench_error + " (" + limit.describe() + ", " +
                std::to_string(ramp.playing) + " of " + std::to_string(all_viewers) +
                " viewers playing)");
  }
  if (ramp.playing == 0) {
    return fail("no viewer could play: " + ramp.first_error + "; server log:\n" +
                target.process->log_tail());
  }
  progress(options, std::to_string(ramp.playing) + " playing, " + std::to_string(ramp.failed) +
                        " failed" +
                        (ramp.first_error.empty() ? "" : " (" + ramp.first_error + ")"));

  std::this_thread::sleep_for(kSettle);
  // The window.
  const auto cores_before = read_core_times();
  const auto server_before = sample_process(server_pid);
  const pid_t edge_pid = edge.process ? edge.process->pid() : -1;
  const auto edge_before = edge.process ? sample_process(edge_pid) : std::nullopt;
  const auto self_before = sample_process(getpid());
  window.first_index.store(static_cast<std::int64_t>(ledger.published()));
  const std::int64_t start_ns = monotonic_ns();
  window.start_ns.store(start_ns);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.duration_s));
  const std::int64_t end_ns = monotonic_ns();
  window.end_ns.store(end_ns);
  const auto last_index = static_cast<std::int64_t>(ledger.published()) - 1;
  const auto cores_after = read_core_times();
  const auto server_after = sample_process(server_pid);
  const auto edge_after = edge.process ? sample_process(edge_pid) : std::nullopt;
  const auto self_after = sample_process(getpid());
  const double window_s = static_cast<double>(end_ns - start_ns) / 1e9;
  std::this_thread::sleep_for(kStragglers);
  fleet.stop_receiving();

  // Figures.
  MediaRunResult result;
  const std::int64_t first_index = window.first_index.load();
  std::uint64_t expected = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t unmatched = 0;
  double worst_loss = 0;
  std::vector<double> realtimes;
  const std::size_t first_webrtc = options.viewers + options.phone_viewers;
  std::uint64_t webrtc_expected = 0;
  std::uint64_t webrtc_lost = 0;
  std::uint64_t rtsp_expected = 0;
  std::uint64_t rtsp_lost = 0;
  for (std::size_t v = 0; v < fleet.tallies().size(); ++v) {
    const ViewerTally& tally = fleet.tallies()[v];
    const bool browser = v >= first_webrtc;
    ViewerFigures figures =
        tally.figures(first_index, last_index, window_s, browser ? &packets : nullptr);
    (browser ? webrtc_expected : rtsp_expected) += figures.expected;
    (browser ? webrtc_lost : rtsp_lost) += figures.lost;
    expected += figures.expected;
    lost += figures.lost;
    duplicates += figures.duplicates;
    reordered += figures.reordered;
    unmatched += figures.unmatched;
    worst_loss = std::max(worst_loss, figures.loss_pct());
    realtimes.push_back(figures.realtime);
    result.viewers.push_back(figures);
  }
  std::sort(realtimes.begin(), realtimes.end());
  const double realtime_min = realtimes.empty() ? 0 : realtimes.front();
  const double realtime_p50 = realtimes.empty() ? 0 : realtimes[(realtimes.size() - 1) / 2];
  const double loss_pct =
      expected == 0 ? 100.0 : 100.0 * static_cast<double>(lost) / static_cast<double>(expected);
  WindowTraffic traffic;       // every viewer's
  WindowTraffic edge_traffic;  // the edge's viewers' (origin+edge runs)
  for (const auto& receiver : fleet.receivers()) {
    for (const WindowTraffic* part : {&receiver->traffic(), &receiver->edge_traffic()}) {
      traffic.packets += part->packets;
      traffic.bytes += part->bytes;
      traffic.latency.merge(part->latency);
    }
    edge_traffic.packets += receiver->edge_traffic().packets;
    edge_traffic.latency.merge(receiver->edge_traffic().latency);
  }
  result.kept_up = ramp.failed == 0 && realtime_min >= 0.98 && loss_pct < 0.1;
  const auto setup = summarize_latencies(ramp.setup_ms);

  std::vector<double> server_busy;
  for (const int cpu : options.server_cpus)
    server_busy.push_back(core_busy_pct(cores_before, cores_after, cpu).value_or(0));
  std::vector<double> bench_busy;
  for (const int cpu : options.bench_cpus)
    bench_busy.push_back(core_busy_pct(cores_before, cores_after, cpu).value_or(0));
  const double server_busy_max =
      server_busy.empty() ? 0 : *std::max_element(server_busy.begin(), server_busy.end());
  const double bench_busy_max =
      bench_busy.empty() ? 0 : *std::max_element(bench_busy.begin(), bench_busy.end());
  const double server_cpu =
      server_before && server_after ? cpu_percent(*server_before, *server_after) : 0;
  const double self_cpu = self_before && self_after ? cpu_percent(*self_before, *self_after) : 0;
  const std::uint64_t rss_end = server_after ? server_after->rss_kib : 0;
  const std::uint64_t rss_start = rss_before ? rss_before->rss_kib : 0;
  const std::string bench_cpus_real = allowed_cpus(getpid());
  const std::string server_cpus_real = allowed_cpus(server_pid);

  auto& j = result.json;
  j["target"] = to_string(options.target);
  j["viewers"] = all_viewers;  // RTSP, phone-style and WebRTC
  j["phone_viewers"] = options.phone_viewers;
  j["webrtc_viewers"] = options.webrtc_viewers;
  j["viewers_playing"] = ramp.playing;
  j["viewers_failed"] = ramp.failed;
  if (!ramp.first_error.empty()) j["first_error"] = ramp.first_error;
  j["workers"] = options.workers;
  j["workers_passed"] = options.target == MediaTarget::callcast ? target.workers_passed : false;
  j["server_cpus"] =
      server_cpus_real.empty() ? format_cpu_list(options.server_cpus) : server_cpus_real;
  j["viewer_gro"] = options.viewer_gro;
  j["bench_cpus"] = bench_cpus_real.empty() ? format_cpu_list(options.bench_cpus) : bench_cpus_real;
  j["duration_s"] = round_to(window_s, 3);
  j["ramp_s"] = round_to(ramp_s, 2);
  j["published_packets"] = last_index >= first_index ? last_index - first_index + 1 : 0;
  j["published_pps"] = round_to(
      static_cast<double>(std::max<std::int64_t>(0, last_index - first_index + 1)) / window_s, 1);
  j["delivered_pps"] = round_to(static_cast<double>(traffic.packets) / window_s, 1);
  j["delivered_mbps"] = round_to(static_cast<double>(traffic.bytes) * 8 / window_s / 1e6, 2);
  j["loss_pct"] = round_to(loss_pct, 4);
  j["worst_viewer_loss_pct"] = round_to(worst_loss, 4);
  j["duplicates"] = duplicates;
  j["reordered"] = reordered;
  j["unmatched"] = unmatched;
  j["realtime_min"] = round_to(realtime_min, 4);
  j["realtime_p50"] = round_to(realtime_p50, 4);
  j["kept_up"] = result.kept_up;
  j["latency_ms"] = {{"p50", round_to(traffic.latency.percentile_ms(50), 3)},
                     {"p99", round_to(traffic.latency.percentile_ms(99), 3)},
                     {"max", round_to(traffic.latency.max_ms(), 3)}};
  j["setup_ms"] = {{"p50", round_to(setup.p50_ms, 2)}, {"p99", round_to(setup.p99_ms, 2)}};
  j["server_cpu_pct"] = round_to(server_cpu, 1);
  j["server_core_busy_pct"] = round_to(server_busy_max, 1);
  j["server_rss_kib"] = rss_end;
  j["server_rss_before_kib"] = rss_start;
  j["server_rss_per_viewer_kib"] =
      round_to((static_cast<double>(rss_end) - static_cast<double>(rss_start)) /
                   static_cast<double>(all_viewers),
               2);
  j["bench_cpu_pct"] = round_to(self_cpu, 1);
  j["bench_open_files_limit"] = limit.soft;
  j["bench_core_busy_pct"] = round_to(bench_busy_max, 1);
  j["publisher_late_packets"] = publisher.late_packets();
  j["publisher_send_errors"] = publisher.send_errors();
  if (options.webrtc_viewers > 0) {
    // The WebRTC viewers apart: their window loss (video, against the ledger), what their
    // clients counted over the whole run (SRTP decrypted, sequence gaps per SSRC, audio
    // included), and the other viewers' window loss beside it.
    const WebRtcFleetFigures browsers_seen = fleet.webrtc_figures();
    const auto connect = summarize_latencies(browsers_seen.connect_ms);
    const auto kind_json = [](const WebRtcFleetFigures::Kind& kind) {
      return nlohmann::ordered_json{
          {"packets", kind.packets},
          {"expected", kind.expected},
          {"lost", kind.lost},
          {"loss_pct", round_to(kind.expected == 0 ? 0
                                                   : 100.0 * static_cast<double>(kind.lost) /
                                                         static_cast<double>(kind.expected),
                                4)}};
    };
    j["webrtc"] = {
        {"viewers", options.webrtc_viewers},
        {"playing", browsers.playing},
        {"connected", browsers_seen.connected},
        {"failed", browsers_seen.failed},
        {"srtp_profile", browsers_seen.profile},
        {"window_video_loss_pct",
         round_to(webrtc_expected == 0 ? 100.0
                                       : 100.0 * static_cast<double>(webrtc_lost) /
                                             static_cast<double>(webrtc_expected),
                  4)},
        {"srtp_packets", browsers_seen.srtp_packets},
        {"srtp_mbytes", round_to(static_cast<double>(browsers_seen.srtp_bytes) / 1e6, 2)},
        {"decrypt_failures", browsers_seen.decrypt_failures},
        {"srtcp_from_server", browsers_seen.srtcp_packets},
        {"stray_datagrams", browsers_seen.stray},
        {"reports_sent", browsers_seen.reports_sent},
        {"checks_sent", browsers_seen.checks_sent},
        {"video_by_sequence", kind_json(browsers_seen.video)},
        {"audio_by_sequence", kind_json(browsers_seen.audio)},
        {"connect_ms",
         {{"p50", round_to(connect.p50_ms, 2)}, {"p99", round_to(connect.p99_ms, 2)}}},
        {"setup_ms",
         {{"p50", round_to(summarize_latencies(browsers.setup_ms).p50_ms, 2)},
          {"p99", round_to(summarize_latencies(browsers.setup_ms).p99_ms, 2)}}}};
    j["webrtc"]["server"] = server_view_of(target, first_webrtc, options.webrtc_viewers);
    if (first_webrtc > 0) {
      j["other_viewers_loss_pct"] = round_to(
          rtsp_expected == 0
              ? 0
              : 100.0 * static_cast<double>(rtsp_lost) / static_cast<double>(rtsp_expected),
          4);
    }
  }
  if (options.edge) {
    // The edge hop (issue 15): the same publisher-send-to-viewer-receive latency, at the origin's
    // viewers and at the edge's; what the hop adds is the difference.
    WindowTraffic origin_traffic;
    for (const auto& receiver : fleet.receivers())
      origin_traffic.latency.merge(receiver->traffic().latency);
    std::uint64_t side_expected[2] = {0, 0};
    std::uint64_t side_lost[2] = {0, 0};
    for (std::size_t v = 0; v < result.viewers.size() && v < rtsp_viewers; ++v) {
      const std::size_t side = v >= options.viewers ? 1 : 0;
      side_expected[side] += result.viewers[v].expected;
      side_lost[side] += result.viewers[v].lost;
    }
    const auto side_loss = [&](std::size_t side) {
      return round_to(side_expected[side] == 0 ? 100.0
                                               : 100.0 * static_cast<double>(side_lost[side]) /
                                                     static_cast<double>(side_expected[side]),
                      4);
    };
    const auto latency_json = [](const LatencyHistogram& latency) {
      return nlohmann::ordered_json{{"samples", latency.count()},
                                    {"p50", round_to(latency.percentile_ms(50), 3)},
                                    {"p99", round_to(latency.percentile_ms(99), 3)},
                                    {"max", round_to(latency.max_ms(), 3)}};
    };
    const std::vector<int>& edge_cpus =
        options.edge_cpus.empty() ? options.server_cpus : options.edge_cpus;
    double edge_busy_max = 0;
    for (const int cpu : edge_cpus) {
      edge_busy_max =
          std::max(edge_busy_max, core_busy_pct(cores_before, cores_after, cpu).value_or(0));
    }
    const std::string edge_cpus_real = allowed_cpus(edge_pid);
    j["edge"] = {
        {"viewers_per_node", options.viewers},
        {"origin_latency_ms", latency_json(origin_traffic.latency)},
        {"edge_latency_ms", latency_json(edge_traffic.latency)},
        {"added_p50_ms",
         round_to(edge_traffic.latency.percentile_ms(50) - origin_traffic.latency.percentile_ms(50),
                  3)},
        {"added_p99_ms",
         round_to(edge_traffic.latency.percentile_ms(99) - origin_traffic.latency.percentile_ms(99),
                  3)},
        {"origin_loss_pct", side_loss(0)},
        {"edge_loss_pct", side_loss(1)},
        {"origin_cpu_pct", round_to(server_cpu, 1)},
        {"edge_cpu_pct",
         round_to(edge_before && edge_after ? cpu_percent(*edge_before, *edge_after) : 0, 1)},
        {"edge_cpus", edge_cpus_real.empty() ? format_cpu_list(edge_cpus) : edge_cpus_real},
        {"edge_core_busy_pct", round_to(edge_busy_max, 1)},
        {"edge_rss_kib", edge_after ? edge_after->rss_kib : 0}};
  }
  j["bottleneck"] = server_busy_max >= kBusyLimitPct  ? "server"
                    : bench_busy_max >= kBusyLimitPct ? "bench"
                                                      : "none";

  // Clean up: viewers, then the publisher, then the server (which must exit by itself).
  fleet.close();
  publisher.stop();
  if (edge.process) {
    // The edge first: its pull is the origin's viewer "edge-bench".
    const std::string edge_how = edge.process->stop(kStopGrace);
    j["edge"]["server_exit"] = edge_how;
    if (edge_how != "exit 0" && edge_how.find("signal 15") == std::string::npos) {
      progress(options, "the edge did not exit cleanly (" + edge_how + "); log tail:\n" +
                            edge.process->log_tail(1500));
    }
  }
  const std::string how = target.process->stop(kStopGrace);
  j["server_exit"] = how;
  if (how != "exit 0" && how.find("signal 15") == std::string::npos) {
    progress(options, "the server did not exit cleanly (" + how + "); log tail:\n" +
                          target.process->log_tail(1500));
  }
  return result;
}

}  // namespace callcast::loadgen
