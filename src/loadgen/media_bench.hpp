#pragma once
// `callcast-bench media`: one run (--viewers N) or --ramp-to-limit (N from --start, doubling
// while the server keeps up, then bisecting between the last good and the first bad N to
// --precision, at most --max), each run on a freshly started server. One JSON line per run on
// stdout; --csv appends one row per run.
#include <filesystem>
#include <string>

#include "loadgen/media_run.hpp"

namespace callcast::loadgen {

struct MediaBenchOptions {
  MediaRunOptions run;
  bool ramp_to_limit = false;
  std::size_t start = 100;
  std::size_t max = 20000;
  double precision = 0.10;
  std::filesystem::path clip_dir;  // empty: the one built with the bench
  std::filesystem::path csv;
  bool json_only = false;
  // The run's (or every ramp run's) N viewers are phone-style (MediaRunOptions::phone_viewers)
  // instead of RTSP viewers.
  bool phones = false;
  // ... or WebRTC viewers (MediaRunOptions::webrtc_viewers): browsers played by the bench.
  bool webrtc = false;
  // Issue 15's capacity comparison, in one invocation at a fixed N (`run.viewers`, even): one
  // node serving N viewers, then an origin serving N/2 that feeds one edge serving N/2 (each
  // node on its own CPUs); then one "edge_compare" line: delivered packets/s, loss, latency and
  // CPU of each layout, and the viewers and packets/s per busy core they come to.
  bool edge_compare = false;
};

// The process exit code: 0 when every run was made (kept up or not), 1 when one failed to run,
// 3 when the bench itself failed (its own descriptors, sockets or ports ran out: "bench failed:
// ..." on stderr and a {"bench_failed":...} line on stdout; never reported as a server result).
int run_media_bench(MediaBenchOptions options);

// Pins the calling thread (and so the threads it starts later) to `cpus`.
bool pin_to_cpus(const std::vector<int>& cpus);

}  // namespace callcast::loadgen
