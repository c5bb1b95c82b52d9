#!/usr/bin/env python3
"""What a viewer sees when the broadcaster's path is disturbed (issue 10), across hosts.

callcastd, one `callcast broadcast` and one `callcast watch` each run in a network namespace of
their own (made here, removed at the end), joined by a bridge. While the viewer watches, the
broadcaster's RTSP connection is reset (`ss -K`) --resets times, one every --interval seconds,
then its process is stopped for --stall seconds (SIGSTOP/SIGCONT). The viewer's --stats-json
lists every freeze of its picture (wall clock, > 250 ms), which is lined up with what was done:

  reset -> decoding again: from the reset to the next decoded frame (median, p90, each), and the
                           frames lost around it (the freeze's length in frames, minus one);
  stall:                   the freeze, the frames the viewer never showed beyond the stall itself,
                           and the packets its jitter buffer threw away as late (the stale burst).

One JSON line on stdout. Needs root (namespaces). Usage:
    python3 bench/disturbance.py build/release [--resets 10] [--interval 5] [--stall 3]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PREFIX = f"ccdist{os.getpid()}-"
HOSTS = {"srv": "10.98.0.1", "pub": "10.98.0.2", "v1": "10.98.0.3"}
SWITCH = PREFIX + "lan"
MASTER, VIEWER, PASSWORD = "13800000001", "13900000002", "bench-pass"
SIP, RTSP, HTTP = 5060, 8554, 8080


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def ns(host):
    return PREFIX + host


def in_host(host, argv):
    return ["ip", "netns", "exec", ns(host), *argv]


def make_lab():
    sh("ip", "netns", "add", SWITCH)
    sh("ip", "-n", SWITCH, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", SWITCH, "link", "set", "br0", "up")
    for host, address in HOSTS.items():
        sh("ip", "netns", "add", ns(host))
        sh("ip", "-n", ns(host), "link", "set", "lo", "up")
        sh("ip", "-n", SWITCH, "link", "add", "p-" + host, "type", "veth", "peer", "name", "eth0",
           "netns", ns(host))
        sh("ip", "-n", SWITCH, "link", "set", "p-" + host, "master", "br0", "up")
        sh("ip", "-n", ns(host), "addr", "add", address + "/24", "dev", "eth0")
        sh("ip", "-n", ns(host), "link", "set", "eth0", "up")


def remove_lab():
    for name in [ns(h) for h in HOSTS] + [SWITCH]:
        pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", name, check=False)


def wait_for(path, text, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def stop(process, sig=signal.SIGINT, timeout=20):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def freeze_around(freezes, at_ms, window_ms=1500):
    """The freeze that covers `at_ms`: it began (last frame before it) at most window_ms before
    and did not end before it."""
    for freeze in freezes:
        began, length = freeze["began_unix_ms"], freeze["ms"]
        if began - window_ms <= at_ms <= began + length:
            return freeze
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", help="build directory, e.g. build/release")
    parser.add_argument("--resets", type=int, default=10)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between events")
    parser.add_argument("--stall", type=float, default=3.0, help="seconds the broadcaster stops")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--bitrate", default="1M")
    parser.add_argument("--keyframe-interval", default="1")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("disturbance.py: needs root (it makes network namespaces)")
    callcastd = os.path.join(args.build, "apps/callcastd/callcastd")
    callcast = os.path.join(args.build, "apps/callcast/callcast")
    for binary in (callcastd, callcast):
        if not os.access(binary, os.X_OK):
            sys.exit(f"disturbance.py: {binary} not built")

    work = tempfile.mkdtemp(prefix="callcast-disturbance-")
    users = os.path.join(work, "users")
    for number in (MASTER, VIEWER):
        sh(callcastd, "user", "add", number, "--password", PASSWORD, "--users", users)
    processes = []
    make_lab()
    try:
        server_log = open(os.path.join(work, "callcastd.log"), "w")
        server = subprocess.Popen(
            in_host("srv", [callcastd, "--rtsp", f"0.0.0.0:{RTSP}", "--sip", f"0.0.0.0:{SIP}",
                            "--http", f"0.0.0.0:{HTTP}", "--rtp-ports", "8000-8001",
                            "--users", users, "--forwarding-db", os.path.join(work, "fwd.sqlite")]),
            stdout=subprocess.PIPE, stderr=server_log, text=True)
        processes.append(server)
        if "callcastd ready" not in (server.stdout.readline() or ""):
            sys.exit("disturbance.py: callcastd did not start, see " + server_log.name)
        account = lambda number, name: [  # noqa: E731
            "--number", number, "--password", PASSWORD, "--server", f"{HOSTS['srv']}:{SIP}",
            "--stats-json", os.path.join(work, name + ".json")]
        master_out = os.path.join(work, "broadcast.out")
        master = subprocess.Popen(
            in_host("pub", [callcast, "broadcast", *account(MASTER, "broadcast"), "--size",
                            args.size, "--fps", str(args.fps), "--bitrate", args.bitrate,
                            "--keyframe-interval", args.keyframe_interval]),
            stdout=open(master_out, "w"), stderr=subprocess.STDOUT)
        processes.append(master)
        if not wait_for(master_out, "step 707", 30):
            sys.exit("disturbance.py: the broadcast did not go live, see " + master_out)
        viewer_out = os.path.join(work, "watch.out")
        viewer = subprocess.Popen(
            in_host("v1", [callcast, "watch", MASTER, *account(VIEWER, "watch")]),
            stdout=open(viewer_out, "w"), stderr=subprocess.STDOUT)
        processes.append(viewer)
        if not wait_for(viewer_out, "step 714: first frame", 30):
            sys.exit("disturbance.py: the viewer did not play, see " + viewer_out)

        resets = []
        for _ in range(args.resets):
            time.sleep(args.interval)
            resets.append(time.time() * 1000)
            sh(*in_host("pub", ["ss", "-K", "dst", HOSTS["srv"], "dport", "=", str(RTSP)]))
        time.sleep(args.interval)
        stall_at = time.time() * 1000
        master.send_signal(signal.SIGSTOP)
        time.sleep(args.stall)
        master.send_signal(signal.SIGCONT)
        time.sleep(args.interval)
        broadcaster_alive = master.poll() is None
        stop(viewer)
        stop(master)
        stop(server, signal.SIGTERM)
        with open(os.path.join(work, "watch.json")) as f:
            seen = json.load(f)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        remove_lab()

    frame_ms = 1000.0 / args.fps
    freezes = seen.get("freezes", [])
    reconnect_ms, frames_lost = [], []
    for at in resets:
        freeze = freeze_around(freezes, at)
        # No freeze: the picture never paused for 250 ms.
        back = (freeze["began_unix_ms"] + freeze["ms"] - at) if freeze else 0
        reconnect_ms.append(max(0.0, back))
        frames_lost.append(max(0, round(freeze["ms"] / frame_ms) - 1) if freeze else 0)
    stall = freeze_around(freezes, stall_at)
    stall_frames = round(args.stall * args.fps)
    result = {
        "bench": "disturbance",
        "resets": args.resets,
        "reset_to_decoding_ms_median": round(statistics.median(reconnect_ms), 1),
        "reset_to_decoding_ms_p90": round(sorted(reconnect_ms)[int(0.9 * (len(reconnect_ms) - 1))], 1),
        "reset_to_decoding_ms": [round(v, 1) for v in reconnect_ms],
        "frames_lost_per_reset_median": statistics.median(frames_lost),
        "frames_lost_per_reset": frames_lost,
        "stall_s": args.stall,
        "stall_freeze_ms": stall["ms"] if stall else None,
        "stall_frames_beyond_the_stall": (max(0, round(stall["ms"] / frame_ms) - 1 - stall_frames)
                                          if stall else None),
        "viewer_packets_late": seen.get("packets_late"),
        "viewer_frames_decoded": seen.get("frames_decoded"),
        "viewer_packets_lost": seen.get("packets_lost"),
        "broadcaster_survived": broadcaster_alive,
        "stream": f"{args.size}@{args.fps} {args.bitrate}bit/s keyframe every {args.keyframe_interval} s",
        "work_dir": work,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
