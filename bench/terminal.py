#!/usr/bin/env python3
"""The terminal's figures (issue 4), measured with callcast's own parts end to end:

- join time: `callcast watch` INVITE sent -> first decoded frame (the terminal measures it on
  one monotonic clock and writes it to --stats-json), median and p90 over N joins, one at a
  time, while a broadcaster streams;
- glass-to-glass latency: the broadcaster stamps the wall clock (ms) into every frame as a
  block code before encoding; the viewer reads it back from each decoded frame and subtracts
  it from its own wall clock (same machine, same clock): p50/p90 over every frame of the joins;
- CPU of each terminal: the broadcaster (capture + x264 + AAC + RTSP) and one viewer (RTSP/UDP
  + jitter buffer + H.264 decode), % of one core from /proc over `--cpu-seconds`.

Starts its own callcastd on ports the OS picks, in a temporary directory, and stops everything.
Prints one JSON line.

usage: bench/terminal.py [BUILD_DIR] [--joins 20] [--size 1280x720] [--fps 30] [--bitrate 2M]"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_process import cpu_seconds, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-secret"
MASTER = "13800000001"
VIEWER = "13900000002"



def quantile(values, q):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))]



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bitrate", default="2M")
    parser.add_argument("--cpu-seconds", type=float, default=10)
    args = parser.parse_args()
    callcastd = os.path.join(args.build_dir, "apps", "callcastd", "callcastd")
    callcast = os.path.join(args.build_dir, "apps", "callcast", "callcast")
    work = tempfile.mkdtemp(prefix="callcast-terminal-bench-")
    users = os.path.join(work, "users")
    for number in (MASTER, VIEWER):
        subprocess.run([callcastd, "user", "add", number, "--users", users, "--password",
                        PASSWORD], check=True, stdout=subprocess.DEVNULL)
    processes = []
    try:
        server = subprocess.Popen(
            [callcastd, "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
             "--sip", "127.0.0.1:0", "--users", users, "--log-level", "warn",
             "--forwarding-db", os.path.join(work, "forwarding.sqlite")],
            stdout=subprocess.PIPE, stderr=open(os.path.join(work, "callcastd.log"), "w"),
            text=True)
        processes.append(server)
        fields = dict(f.split("=", 1) for f in server.stdout.readline().split() if "=" in f)
        account = ["--password", PASSWORD, "--server", fields["sip"]]
        broadcast_out = os.path.join(work, "broadcast.out")
        broadcaster = subprocess.Popen(
            [callcast, "broadcast", "--number", MASTER, *account, "--ut-url",
             "http://" + fields["http"], "--size", args.size, "--fps", str(args.fps),
             "--bitrate", args.bitrate, "--log-level", "warn"],
            stdout=open(broadcast_out, "w"), stderr=open(os.path.join(work, "broadcast.err"), "w"))
        processes.append(broadcaster)
        if not wait_for(broadcast_out, "now forward to the service number", 30, broadcaster):
            raise SystemExit("the broadcast did not go live: " + open(broadcast_out).read())

        joins, latencies, failures = [], [], 0
        for i in range(args.joins):
            stats_path = os.path.join(work, f"watch-{i}.json")
            result = subprocess.run(
                [callcast, "watch", MASTER, "--number", VIEWER, *account, "--duration", "2",
                 "--stats-json", stats_path, "--log-level", "warn"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            stats = json.load(open(stats_path)) if os.path.exists(stats_path) else {}
            if result.returncode != 0 or "join_ms" not in stats:
                failures += 1
                continue
            joins.append(stats["join_ms"])
            latency = stats.get("latency_ms") or {}
            if latency.get("p50") is not None:
                latencies.append(latency["p50"])

        # CPU: the broadcaster and one viewer side by side, over the same window.
        viewer = subprocess.Popen(
            [callcast, "watch", MASTER, "--number", VIEWER, *account, "--log-level", "warn",
             "--stats-json", os.path.join(work, "watch-cpu.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(viewer)
        time.sleep(3)
        b0, v0, t0 = cpu_seconds(broadcaster.pid), cpu_seconds(viewer.pid), time.time()
        time.sleep(args.cpu_seconds)
        b1, v1, t1 = cpu_seconds(broadcaster.pid), cpu_seconds(viewer.pid), time.time()
        viewer.send_signal(signal.SIGINT)
        viewer.wait(timeout=15)
        result = {
            "bench": "terminal", "size": args.size, "fps": args.fps, "bitrate": args.bitrate,
            "cores": os.cpu_count(), "joins": len(joins), "failed_joins": failures,
            "join_ms": {"p50": statistics.median(joins) if joins else None,
                        "p90": quantile(joins, 0.9) if joins else None,
                        "min": min(joins, default=None), "max": max(joins, default=None)},
            "glass_to_glass_ms": {"p50": statistics.median(latencies) if latencies else None,
                                  "p90": quantile(latencies, 0.9) if latencies else None,
                                  "joins_measured": len(latencies),
                                  "method": "wall-clock ms stamped in each frame before encoding, "
                                            "read back after decoding (p50 per join)"},
            "cpu_percent_of_one_core": {
                "broadcaster": round(100 * (b1 - b0) / (t1 - t0), 1),
                "viewer": round(100 * (v1 - v0) / (t1 - t0), 1)},
        }
        print(json.dumps(result))
        return 0 if joins else 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    sys.exit(main())
