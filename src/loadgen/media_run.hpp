#pragma once
// One run of `callcast-bench media`: start the target server pinned to its CPUs, publish the
// clip to it in real time, ramp N viewers, measure over a window that starts 2 s after the last
// viewer played, then close every viewer, stop the server and check that it exited. The result
// is the run's JSON line and every viewer's figures (the e2e test asserts on those).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "loadgen/media_clip.hpp"
#include "loadgen/media_packetizer.hpp"
#include "loadgen/viewer_tally.hpp"

namespace callcast::loadgen {

enum class MediaTarget { callcast, peer, limit };
const char* to_string(MediaTarget target);

struct MediaRunOptions {
  MediaTarget target = MediaTarget::callcast;
  std::size_t viewers = 100;
  // callcast only: this many more viewers as SIP phones get them (issue 13): admitted through the
  // control API and sent plain RTP to the bench's sockets (POST phone-viewers), no RTSP.
  std::size_t phone_viewers = 0;
  // callcast only: this many more viewers as browsers get them (issue 14): admitted, then a
  // WebRTC offer each (POST webrtc-viewers) from a WebRtcViewerClient of the bench, which does
  // ICE, the DTLS handshake and SRTP decryption itself. Counted by their video (their audio is
  // the server's Opus, counted by the clients' sequence numbers).
  std::size_t webrtc_viewers = 0;
  bool webrtc_audio = true;  // their offers carry an Opus line (as a browser's do)
  // callcast only (issue 15): a second callcastd as an edge of the first (the origin). The clip
  // is published to the origin; the edge pulls the group over RTSP/TCP as the origin's viewer
  // "edge-bench" (POST /v1/edges), and `viewers` more RTSP viewers play from the edge beside the
  // `viewers` at the origin. The JSON's "edge" then holds each side's latency and both nodes' CPU.
  bool edge = false;
  std::vector<int> edge_cpus;  // the edge node's CPUs; empty: server_cpus
  unsigned workers = 1;
  std::vector<std::string> media_config;
  bool viewer_gro = true;  // UDP_GRO on the viewers' RTP sockets (see FleetOptions)  // extra `key
                           // = value` lines for callcastd's [media]
  std::vector<int> server_cpus = {0};
  std::vector<int> bench_cpus = {1};
  double duration_s = 10;
  double ramp_rate = 500;
  std::filesystem::path callcastd;  // empty: next to this binary
  std::filesystem::path peer_binary;
  std::filesystem::path limit_binary;
  unsigned peer_threads = 64;
  bool keep_dir = false;
  bool progress = true;  // lines on stderr
};

struct MediaRunResult {
  nlohmann::ordered_json json;
  std::vector<ViewerFigures> viewers;
  bool kept_up = false;
};

// A run's failure text starts with this when the BENCH failed (its descriptors, sockets, buffers
// or local ports ran out): such a run says nothing about the server and is never reported as
// one of its results.
inline constexpr std::string_view kBenchFailed = "bench failed: ";
inline bool is_bench_failure(std::string_view error) {
  return error.starts_with(kBenchFailed);
}

// The most viewers of `target` whose descriptors fit under `open_files` (RLIMIT_NOFILE), the
// bench's own descriptors (publisher, receivers, pipes, logs) set aside.
std::size_t viewers_within(std::uint64_t open_files, MediaTarget target);

// Fails (with a one-line reason, and the server's log tail where it helps) when the run could not
// be made; a run that was made but lost packets is a result, not a failure. Before the server
// starts, checks that RLIMIT_NOFILE covers the viewers' descriptors (a bench failure if not).
Result<MediaRunResult, std::string> run_media_once(const MediaRunOptions& options,
                                                   const MediaClip& clip,
                                                   const PacketizedClip& packets);

// ../callcastd/callcastd next to this binary (apps/callcast-bench and apps/callcastd are
// siblings in every build directory).
std::filesystem::path default_callcastd();

}  // namespace callcast::loadgen
