// callcast-bench: the load generator of callcast (DESIGN.md §5). Thin: flags in, the benchmark
// of a subcommand run, its exit code out.
//
//   callcast-bench sip [--masters N] [--viewers M] [--concurrency C] [--transport udp|tcp] ...
//   callcast-bench sip --churn-rounds R ...   (memory after N and 2N calls against one server)
//   callcast-bench media [--target callcast|peer|limit] [--viewers N | --ramp-to-limit] ...
//   callcast-bench media --webrtc-viewers ...   (the N viewers are browsers: ICE, DTLS, SRTP)
//   callcast-bench media --edge --viewers N ... (N at an origin callcastd, N at its edge)
//   callcast-bench media --edge-compare --viewers N ... (N at one node, then N/2 + N/2 at an
//                                                        origin and its edge, and the comparison)
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include "loadgen/cpu_usage.hpp"
#include "loadgen/media_bench.hpp"
#include "loadgen/sip_bench.hpp"
#include "loadgen/sip_bench_options.hpp"

int main(int argc, char** argv) {
  using callcast::loadgen::SipBenchOptions;
  CLI::App app{"callcast-bench: load generator for callcastd"};
  app.require_subcommand(1);

  SipBenchOptions sip;
  std::string transport = "udp";
  std::int64_t timeout_ms = sip.timeout.count();
  CLI::App* sip_command = app.add_subcommand(
      "sip",
      "N masters start broadcasts at the service number (INVITE, 183, RTSP RECORD, 200), M "
      "viewers call each (INVITE, 181, 200); prints one JSON line per phase and a summary");
  sip_command->add_option("--masters", sip.masters, "masters, one broadcast each (default 20)")
      ->check(CLI::Range(1, 100000));
  sip_command->add_option("--viewers", sip.viewers, "viewer calls per master (default 10)")
      ->check(CLI::Range(0, 100000));
  sip_command->add_option("--concurrency", sip.concurrency, "calls in flight at most (default 50)")
      ->check(CLI::Range(1, 100000));
  sip_command->add_option("--transport", transport, "SIP transport: udp or tcp (default udp)")
      ->check(CLI::IsMember({"udp", "tcp"}));
  sip_command
      ->add_option("--timeout-ms", timeout_ms,
                   "per call: INVITE to final answer, RTSP included (default 10000)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600000}));
  sip_command
      ->add_option("--churn-rounds", sip.churn_rounds,
                   "run the calls this many times (even) against the same callcastd and report "
                   "its RSS after each round, after the first half (N calls) and after all (2N)")
      ->check(CLI::Range(2, 1000));
  std::int64_t churn_idle_s = sip.churn_idle.count();
  sip_command
      ->add_option("--churn-idle-s", churn_idle_s,
                   "seconds the server is left idle after each round before its RSS is read "
                   "(default 45: the SIP transactions' 32 s timers and the 5 s trim interval)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{600}));
  sip_command->add_flag("--json-only", sip.json_only, "print only the JSON lines on stdout");
  sip_command->add_option("--callcastd,--server-binary", sip.callcastd,
                          "the callcastd to start (default: ../callcastd/callcastd next to this "
                          "binary)");
  auto* sip_address = sip_command->add_option(
      "--sip", sip.sip,
      "use a running callcastd: its SIP address HOST:PORT (with --http, --users)");
  auto* http_address =
      sip_command->add_option("--http", sip.http, "the running callcastd's HTTP address HOST:PORT");
  auto* users = sip_command->add_option(
      "--users", sip.users_file, "the running callcastd's users file; the bench users are added");
  sip_address->needs(http_address, users);
  http_address->needs(sip_address);
  users->needs(sip_address);
  sip_command->add_option("--server-pid", sip.server_pid,
                          "pid of the running callcastd, for its CPU and RSS figures");
  sip_command
      ->add_option("--also-clean", sip.also_clean,
                   "a cluster (issue 15): the HTTP address HOST:PORT of another signaling node "
                   "that must hold no call or broadcast after the hang-up (repeatable)")
      ->needs(sip_address);
  sip_command->add_option(
      "--watch-pid", sip.watch_pids,
      "NAME=PID or NAME=PID+PID...: each phase reports these processes' CPU (summed per NAME) "
      "under \"cpu_pct\", with the bench's own and every core's busy share (repeatable)");
  sip_command->add_option("--realm", sip.realm,
                          "digest realm of the users file (default callcast)");
  sip_command->add_option("--service-number", sip.service_number,
                          "the service number (default 777)");
  sip_command->add_option("--password", sip.password, "password of every benchmark user");
  sip_command->add_flag("--keep-dir", sip.keep_dir,
                        "keep the scratch directory (users, config, server log)");
  sip_command->add_flag("--verbose", sip.verbose, "log the SIP user agents at info level");

  callcast::loadgen::MediaBenchOptions media;
  std::string media_target = "callcast";
  std::string server_cpus = "0";
  std::string bench_cpus = "1";
  double precision_pct = 10;
  CLI::App* media_command = app.add_subcommand(
      "media",
      "fan-out: publishes a 720p30 H.264+AAC clip in real time to one group and ramps N RTSP/UDP "
      "viewers; prints one JSON line per run (delivered packets/s, loss, real time, latency, "
      "server CPU and memory)");
  media_command->add_option("--target", media_target, "callcast, peer or limit (default callcast)")
      ->check(CLI::IsMember({"callcast", "peer", "limit"}));
  auto* media_viewers =
      media_command
          ->add_option("--viewers", media.run.viewers, "viewers of the one run (default 100)")
          ->check(CLI::Range(0, 1000000));
  media_command
      ->add_option("--phone-viewers", media.run.phone_viewers,
                   "callcast only: this many more viewers as SIP phones get them: admitted through "
                   "the control API, plain RTP to the bench's sockets (POST phone-viewers), no "
                   "RTSP; counted like the RTSP viewers (default 0)")
      ->check(CLI::Range(0, 1000000));
  media_command->add_flag(
      "--phones", media.phones,
      "callcast only: the run's (or every ramp run's) N viewers are phone-style "
      "viewers (see --phone-viewers) instead of RTSP viewers");
  auto* webrtc_flag = media_command->add_flag(
      "--webrtc-viewers", media.webrtc,
      "callcast only: the run's (or every ramp run's) N viewers are WebRTC viewers (issue 14): "
      "admitted through the control API, a browser's offer each (POST webrtc-viewers), ICE, "
      "the DTLS handshake and SRTP decryption done by the bench, no browser");
  webrtc_flag->excludes("--phones");
  media_command
      ->add_option("--with-webrtc-viewers", media.run.webrtc_viewers,
                   "callcast only: this many more viewers as WebRTC viewers (see "
                   "--webrtc-viewers), side by side with the run's others (default 0)")
      ->check(CLI::Range(0, 1000000));
  media_command->add_flag("--webrtc-audio,!--no-webrtc-audio", media.run.webrtc_audio,
                          "the WebRTC viewers' offers carry an Opus line as a browser's do "
                          "(default on: the server transcodes the clip's AAC, one encoder); off: "
                          "video only");
  media_command->add_flag(
      "--edge", media.run.edge,
      "callcast only (issue 15): a second callcastd as an edge of the first; the clip goes to the "
      "origin, the edge pulls the group over RTSP/TCP (POST /v1/edges), and N more viewers play "
      "from the edge: the JSON's \"edge\" holds the latency at each side and both nodes' CPU");
  auto* edge_compare = media_command->add_flag(
      "--edge-compare", media.edge_compare,
      "callcast only (issue 15): at --viewers N (even), one node serving N, then an origin serving "
      "N/2 feeding an edge serving N/2 (--server-cpus, --edge-cpus); then one \"edge_compare\" "
      "line: both layouts' delivery, loss, latency, CPU and viewers per busy core");
  std::string edge_cpus;
  media_command->add_option("--edge-cpus", edge_cpus,
                            "CPUs of the edge node (default: --server-cpus)");
  auto* ramp = media_command->add_flag(
      "--ramp-to-limit", media.ramp_to_limit,
      "find the largest N kept in real time with < 0.1% loss (doubling, then bisection)");
  ramp->excludes(media_viewers);
  edge_compare->excludes(ramp);
  media_command->add_option("--start", media.start, "first N of the ramp (default 100)")
      ->check(CLI::Range(1, 1000000));
  media_command->add_option("--max", media.max, "largest N of the ramp (default 20000)")
      ->check(CLI::Range(1, 1000000));
  media_command
      ->add_option("--precision", precision_pct,
                   "stop bisecting when (bad - good) / good is at most this, in % (default 10)")
      ->check(CLI::Range(0.1, 100.0));
  media_command->add_option("--ramp-rate", media.run.ramp_rate, "viewer set-ups per second (500)")
      ->check(CLI::Range(1.0, 100000.0));
  media_command->add_option("--duration", media.run.duration_s, "measurement window, s (10)")
      ->check(CLI::Range(0.5, 3600.0));
  media_command->add_option("--server-cpus", server_cpus, "CPUs of the server, e.g. 0 or 0-1 (0)");
  media_command->add_option("--bench-cpus", bench_cpus,
                            "CPUs of the bench, one receive thread each (1)");
  media_command->add_option("--media-config", media.run.media_config,
                            "an extra line for callcastd's [media] table, e.g. 'udp_gso = false' "
                            "(repeatable)");
  media_command->add_flag("--viewer-gro,!--no-viewer-gro", media.run.viewer_gro,
                          "UDP_GRO on the viewers' RTP sockets (default on): GSO sends arrive as "
                          "one buffer per send, as they would cost a remote player's kernel, not "
                          "the server's core");
  media_command->add_option("--workers", media.run.workers, "callcastd --workers (default 1)")
      ->check(CLI::Range(0, 1024));
  media_command->add_option("--callcastd", media.run.callcastd,
                            "the callcastd to start (default: ../callcastd/callcastd)");
  media_command->add_option("--peer-binary", media.run.peer_binary,
                            "the gst-rtsp-server peer (built by bench/fanout.sh)");
  media_command->add_option("--limit-binary", media.run.limit_binary,
                            "the sendmmsg limit server (built by bench/fanout.sh)");
  media_command
      ->add_option("--peer-threads", media.run.peer_threads,
                   "the peer's --max-threads (default 64)")
      ->check(CLI::Range(1, 100000));
  media_command->add_option("--clip", media.clip_dir,
                            "directory with video.h264 and audio.aac (default: the built clip)");
  media_command->add_option("--csv", media.csv, "append one CSV row per run to this file");
  media_command->add_flag("--keep-dir", media.run.keep_dir,
                          "keep the scratch directory (config, server log)");
  media_command->add_flag("--json-only", media.json_only, "no progress lines on stderr");

  CLI11_PARSE(app, argc, argv);
  if (media_command->parsed()) {
    using callcast::loadgen::MediaTarget;
    media.run.target = media_target == "peer"    ? MediaTarget::peer
                       : media_target == "limit" ? MediaTarget::limit
                                                 : MediaTarget::callcast;
    auto server = callcast::loadgen::parse_cpu_list(server_cpus);
    auto bench = callcast::loadgen::parse_cpu_list(bench_cpus);
    if (!server || !bench) {
      std::cerr << "callcast-bench media: bad CPU list in --server-cpus or --bench-cpus (e.g. 0 "
                   "or 0-1 or 0,2)"
                << std::endl;
      return 2;
    }
    media.run.server_cpus = *server;
    if (!edge_cpus.empty()) {
      auto edge = callcast::loadgen::parse_cpu_list(edge_cpus);
      if (!edge) {
        std::cerr << "callcast-bench media: bad CPU list in --edge-cpus" << std::endl;
        return 2;
      }
      media.run.edge_cpus = *edge;
    }
    media.run.bench_cpus = *bench;
    if (media.edge_compare &&
        (media.ramp_to_limit || media.run.viewers < 2 || media.run.viewers % 2 != 0 ||
         media.phones || media.webrtc || media.run.target != MediaTarget::callcast)) {
      std::cerr << "callcast-bench media: --edge-compare needs --target callcast, RTSP viewers "
                   "and an even --viewers N >= 2 (no --ramp-to-limit)"
                << std::endl;
      return 2;
    }
    media.precision = precision_pct / 100.0;
    return callcast::loadgen::run_media_bench(std::move(media));
  }
  sip.transport =
      transport == "tcp" ? callcast::sipua::Transport::tcp : callcast::sipua::Transport::udp;
  sip.timeout = std::chrono::milliseconds(timeout_ms);
  sip.churn_idle = std::chrono::seconds(churn_idle_s);
  if (sip.churn_rounds % 2 != 0) {
    std::cerr << "callcast-bench sip: --churn-rounds must be even (RSS after N and after 2N calls)"
              << std::endl;
    return 2;
  }
  if (sip_command->parsed()) return callcast::loadgen::SipBench(sip).run();
  return 2;
}
