#include "loadgen/media_bench.hpp"

#include <sched.h>

#include <fstream>
#include <functional>
#include <iostream>

#include "loadgen/cpu_usage.hpp"
#include "loadgen/media_clip.hpp"
#include "loadgen/media_packetizer.hpp"
#include "loadgen/media_run.hpp"
#include "loadgen/open_files_limit.hpp"
#include "loadgen/phase_result.hpp"
#include "loadgen/viewer_fleet.hpp"

#ifndef CALLCAST_BENCH_CLIP_DIR
#define CALLCAST_BENCH_CLIP_DIR "bench-clip"
#endif

namespace callcast::loadgen {
namespace {

double load_average_1m() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

void append_csv(const std::filesystem::path& file, const nlohmann::ordered_json& j) {
  const bool fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
  std::ofstream out(file, std::ios::app);
  if (fresh) {
    out << "target,viewers,workers,delivered_pps,loss_pct,realtime_min,latency_p50_ms,"
           "latency_p99_ms,server_cpu_pct,server_core_busy_pct,server_rss_per_viewer_kib,"
           "bench_cpu_pct,kept_up\n";
  }
  out << j["target"].get<std::string>() << ',' << j["viewers"] << ',' << j["workers"] << ','
      << j["delivered_pps"] << ',' << j["loss_pct"] << ',' << j["realtime_min"] << ','
      << j["latency_ms"]["p50"] << ',' << j["latency_ms"]["p99"] << ',' << j["server_cpu_pct"]
      << ',' << j["server_core_busy_pct"] << ',' << j["server_rss_per_viewer_kib"] << ','
      << j["bench_cpu_pct"] << ',' << (j["kept_up"].get<bool>() ? "true" : "false") << '\n';
}

// Per busy core: what one core fully given to the layout's nodes would serve at this run's cost
// per viewer (a linear extrapolation from the CPU time the nodes took, not a measured limit).
nlohmann::ordered_json per_core(std::size_t viewers, double delivered_pps, double cpu_pct) {
  if (cpu_pct <= 0) return {{"viewers_per_core", nullptr}, {"pps_per_core", nullptr}};
  return {{"viewers_per_core", round_to(static_cast<double>(viewers) * 100.0 / cpu_pct, 0)},
          {"pps_per_core", round_to(delivered_pps * 100.0 / cpu_pct, 0)}};
}

// --edge-compare: N viewers at one node, then N/2 at an origin and N/2 at its edge; both runs'
// lines as usual, then the comparison line.
bool compare_edge(MediaBenchOptions& options,
                  const std::function<std::optional<MediaRunResult>(std::size_t)>& one_run) {
  const std::size_t viewers = options.run.viewers;
  options.run.edge = false;
  const auto single = one_run(viewers);
  if (!single) return false;
  // one_run reads options.run: the same run again, as an origin and its edge.
  options.run.edge = true;
  const auto pair = one_run(viewers / 2);
  if (!pair) return false;
  const nlohmann::ordered_json& a = single->json;
  const nlohmann::ordered_json& b = pair->json;
  const nlohmann::ordered_json& edge = b["edge"];
  const double single_cpu = a["server_cpu_pct"].get<double>();
  const double pair_cpu = edge["origin_cpu_pct"].get<double>() + edge["edge_cpu_pct"].get<double>();
  nlohmann::ordered_json one_node = {{"viewers", viewers},
                                     {"cpus", a["server_cpus"]},
                                     {"delivered_pps", a["delivered_pps"]},
                                     {"loss_pct", a["loss_pct"]},
                                     {"kept_up", a["kept_up"]},
                                     {"latency_ms", a["latency_ms"]},
                                     {"cpu_pct", single_cpu}};
  one_node.update(per_core(viewers, a["delivered_pps"].get<double>(), single_cpu));
  nlohmann::ordered_json origin_edge = {{"viewers", 2 * (viewers / 2)},
                                        {"origin_cpus", b["server_cpus"]},
                                        {"edge_cpus", edge["edge_cpus"]},
                                        {"delivered_pps", b["delivered_pps"]},
                                        {"loss_pct", b["loss_pct"]},
                                        {"origin_loss_pct", edge["origin_loss_pct"]},
                                        {"edge_loss_pct", edge["edge_loss_pct"]},
                                        {"kept_up", b["kept_up"]},
                                        {"origin_latency_ms", edge["origin_latency_ms"]},
                                        {"edge_latency_ms", edge["edge_latency_ms"]},
                                        {"edge_added_p50_ms", edge["added_p50_ms"]},
                                        {"edge_added_p99_ms", edge["added_p99_ms"]},
                                        {"origin_cpu_pct", edge["origin_cpu_pct"]},
                                        {"edge_cpu_pct", edge["edge_cpu_pct"]},
                                        {"cpu_pct", round_to(pair_cpu, 1)}};
  origin_edge.update(per_core(2 * (viewers / 2), b["delivered_pps"].get<double>(), pair_cpu));
  nlohmann::ordered_json line = {
      {"bench", "media"},
      {"phase", "edge_compare"},
      {"viewers", viewers},
      {"one_node", one_node},
      {"origin_edge", origin_edge},
      // CPU of the two nodes together over the one node's, for the same viewers: what the
      // edge's pull and its second fan-out cost beyond one node.
      {"cpu_ratio_origin_edge_vs_one_node",
       single_cpu > 0 ? nlohmann::ordered_json(round_to(pair_cpu / single_cpu, 3)) : nullptr},
      {"load_avg_1m", load_average_1m()}};
  std::cout << line.dump() << std::endl;
  return true;
}

}  // namespace

bool pin_to_cpus(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus)
    CPU_SET(static_cast<unsigned>(cpu), &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

int run_media_bench(MediaBenchOptions options) {
  const OpenFilesLimit limit = raise_open_files_limit();
  if (!options.json_only) std::cerr << "callcast-bench media: " << limit.describe() << std::endl;
  if (!pin_to_cpus(options.run.bench_cpus)) {
    std::cerr << "callcast-bench media: cannot pin to --bench-cpus "
              << format_cpu_list(options.run.bench_cpus) << std::endl;
    return 2;
  }
  const std::filesystem::path clip_dir =
      options.clip_dir.empty() ? std::filesystem::path(CALLCAST_BENCH_CLIP_DIR) : options.clip_dir;
  auto clip = load_media_clip(clip_dir);
  if (!clip) {
    std::cerr << "callcast-bench media: " << clip.error() << std::endl;
    return 2;
  }
  const PacketizedClip packets = packetize_clip(*clip, RtpSettings{});
  options.run.progress = !options.json_only;
  if (!options.json_only) {
    std::cerr << "callcast-bench media: clip " << clip_dir.string() << ": " << clip->video.size()
              << " frames, " << packets.packets.size() << " packets per "
              << static_cast<double>(packets.loop_ns) / 1e9 << " s loop ("
              << packets.packets_per_second() << " packets/s, "
              << static_cast<double>(packets.bytes) * 8 /
                     (static_cast<double>(packets.loop_ns) / 1e9) / 1e6
              << " Mbit/s)" << std::endl;
  }

  bool bench_failed = false;
  auto one_run = [&](std::size_t viewers) -> std::optional<MediaRunResult> {
    MediaRunOptions run = options.run;
    run.viewers = viewers;
    if (options.phones) {
      run.phone_viewers = viewers;
      run.viewers = 0;
    } else if (options.webrtc) {
      run.webrtc_viewers = viewers;
      run.viewers = 0;
    }
    auto result = run_media_once(run, *clip, packets);
    if (!result) {
      if (is_bench_failure(result.error())) {
        bench_failed = true;
        std::cerr << "callcast-bench media: run with " << viewers << " viewers: " << result.error()
                  << std::endl;
        nlohmann::ordered_json line;
        line["bench_failed"] = result.error().substr(std::string_view(kBenchFailed).size());
        line["target"] = to_string(run.target);
        line["viewers"] = viewers;
        line["open_files_limit"] = limit.soft;
        std::cout << line.dump() << std::endl;
      } else {
        std::cerr << "callcast-bench media: run with " << viewers
                  << " viewers failed: " << result.error() << std::endl;
      }
      return std::nullopt;
    }
    std::cout << result->json.dump() << std::endl;
    if (!options.csv.empty()) append_csv(options.csv, result->json);
    return std::move(result).value();
  };

  constexpr int kBenchFailedExit = 3;
  // A ramp stops where the bench's descriptors end: beyond, it would measure the bench.
  std::size_t bench_cap = viewers_within(limit.soft, options.run.target);
  if (options.phones) {  // a phone-style viewer holds four sockets, an RTSP viewer three
    bench_cap =
        bench_cap * ViewerFleet::kRtspViewerDescriptors / ViewerFleet::kPhoneViewerDescriptors;
  } else if (options.webrtc) {  // a WebRTC viewer holds one
    bench_cap =
        bench_cap * ViewerFleet::kRtspViewerDescriptors / ViewerFleet::kWebRtcViewerDescriptors;
  }
  const bool capped = options.ramp_to_limit && options.max > bench_cap;
  if (capped) {
    std::cerr << "callcast-bench media: the ramp stops at " << bench_cap
              << " viewers, the most the bench's " << limit.describe() << " holds" << std::endl;
    options.max = bench_cap;
  }
  if (options.edge_compare) return compare_edge(options, one_run) ? 0 : (bench_failed ? 3 : 1);
  if (!options.ramp_to_limit) {
    if (one_run(options.run.viewers)) return 0;
    return bench_failed ? kBenchFailedExit : 1;
  }

  // Doubling, then bisection between the last good and the first bad N.
  std::size_t runs = 0;
  std::size_t good = 0;
  std::size_t bad = 0;
  nlohmann::ordered_json best;
  std::size_t n = std::min(options.start, options.max);
  for (int step = 0; step < 64; ++step) {
    auto result = one_run(n);
    ++runs;
    if (!result) return bench_failed ? kBenchFailedExit : 1;
    if (result->kept_up) {
      good = n;
      best = result->json;
    } else {
      bad = n;
    }
    std::size_t next = 0;
    if (bad == 0) {
      if (good >= options.max) break;
      next = std::min(options.max, good * 2);
    } else {
      if (good == 0) {  // already the first N failed: halve towards 1
        if (bad <= 1) break;
        next = bad / 2;
        if (next < 1) break;
        bad = n;
        // Look for a good N below; the precision test below needs one.
        if (static_cast<double>(bad - next) / static_cast<double>(next) <= options.precision) break;
        n = next;
        continue;
      }
      if (static_cast<double>(bad - good) / static_cast<double>(good) <= options.precision) break;
      next = good + (bad - good) / 2;
      if (next == good || next == bad) break;
    }
    n = next;
  }
  nlohmann::ordered_json last;
  last["ramp"] = true;
  last["target"] = to_string(options.run.target);
  last["largest_viewers"] = good;
  last["runs"] = runs;
  last["best"] = best;
  // The largest N is then a floor: the server was not asked for more.
  if (capped) last["max_capped_by_bench"] = bench_cap;
  std::cout << last.dump() << std::endl;
  return 0;
}

}  // namespace callcast::loadgen
