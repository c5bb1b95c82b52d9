#!/usr/bin/env python3
"""Join time: how long a viewer waits for its first picture (issue 12 item 6).

Starts callcastd (every port chosen by the OS, SIP included: a benchmark never takes 5060 from a
server that runs on the machine; its files in a scratch directory that is removed at the end,
never in the working directory), then per audio codec one `callcast broadcast` (1280x720 25 fps
2 Mbit/s H.264, a keyframe every 2 s, a tone as AAC or Opus), and lets `callcast watch` viewers
join it: N without recording, then N recording to .mkv, over UDP and over TCP (`--rtsp-transport
tcp`), `--parallel` of them at a time, each starting `--interval` s after the one
before so that they land at every point of the GOP. A join is the terminal's own figure: INVITE
sent to the first decoded video frame, on one monotonic clock (its --stats-json `join_ms`). Each
recording is checked for what a recording must hold: a video and an audio stream, audio frames.

Prints a table per case on stderr and one JSON line last on stdout: p50/p90/p99/max join per
case (codec, transport, recording), the joins that failed and the recordings without audio.

With --ffmpeg-joins N it also measures N ffmpeg players (`ffmpeg -rtsp_transport udp`, admitted
through the control API) from callcastd answering PLAY to their first decoded frame, as this
script did before, and the server's CPU and RSS while three of them play.

With --baseline CALLCAST, viewers of that other binary (an older build) take turns with this
build's in every case, so that both are measured under the same load.

Bounded: at most --viewers per case and viewer binary (500 at most), and no join starts after
--time-limit s.

usage: bench/join_time.py [BUILD_DIR] [--viewers 30] [--parallel 3] [--audio aac,opus]
                          [--record off,on] [--transport udp,tcp] [--baseline CALLCAST]
                          [--ffmpeg-joins N] [--keep-dir]"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_process import cpu_seconds, quantile, stop, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-secret"
MASTER = "13800000001"
MAX_VIEWERS = 500


def log(text):
    print(text, file=sys.stderr, flush=True)


def api(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
        return json.loads(text) if text else None



def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def summary(joins):
    if not joins:
        return {"n": 0}
    return {"n": len(joins), "p50": quantile(joins, 0.5), "p90": quantile(joins, 0.9),
            "p99": quantile(joins, 0.99), "max": max(joins), "min": min(joins)}



def wait_until_no_group(base, timeout=15):
    """The next broadcast takes the same number: its group must be gone first."""
    deadline = time.time() + timeout
    while time.time() < deadline and api(base, "GET", "/v1/groups").get("groups"):
        time.sleep(0.2)


def audio_frames(path):
    """(has an audio stream, audio frames) of a recording, by ffprobe."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
         "stream=codec_type,nb_read_packets", "-of", "json", path],
        capture_output=True, text=True, timeout=60)
    streams = json.loads(result.stdout or "{}").get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    return bool(audio), sum(int(s.get("nb_read_packets") or 0) for s in audio)


class Viewer:
    """One `callcast watch` (`binary`) that joins, plays --duration s and hangs up."""

    def __init__(self, args, binary, work, number, account, index, transport, record):
        self.stats_path = os.path.join(work, f"watch-{index}.json")
        self.record_path = os.path.join(work, f"watch-{index}.mkv") if record else None
        command = [binary, "watch", MASTER, "--number", number, *account, "--duration",
                   str(args.duration), "--stats-json", self.stats_path, "--log-level",
                   args.viewer_log_level]
        if transport == "tcp":
            command += ["--rtsp-transport", "tcp"]
        if record:
            command += ["--record", self.record_path]
        self.log_path = os.path.join(work, f"watch-{index}.log")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=open(self.log_path, "w"))

    def result(self):
        """(join ms or None, recording check or None) once the process has ended."""
        stats = {}
        if os.path.exists(self.stats_path):
            try:
                stats = json.load(open(self.stats_path))
            except ValueError:
                pass
        join = stats.get("join_ms") if self.process.returncode == 0 else None
        recording = None
        if self.record_path:
            has_audio, frames = (audio_frames(self.record_path) if os.path.exists(
                self.record_path) else (False, 0))
            recording = {"has_audio": has_audio, "audio_frames": frames}
        return join, recording


def takes_rtsp_transport(binary):
    """Whether this callcast can be told to take RTP over TCP (builds before issue 12 cannot)."""
    result = subprocess.run([binary, "watch", "--help"], capture_output=True, text=True)
    return "--rtsp-transport" in result.stdout


def run_case(args, work, numbers, account, transport, record, deadline, first_index):
    """N joins per viewer binary, `parallel` at a time, `interval` s apart, the binaries taking
    turns (same load, same moments of the GOP); the case's figures per binary."""
    binaries = [(label, binary) for label, binary in args.viewer_binaries
                if transport != "tcp" or takes_rtsp_transport(binary)]
    results = {label: {"joins": [], "failed": 0, "silent": 0} for label, _ in binaries}
    running = []  # (label, Viewer)
    started = 0

    def reap(block):
        for label, viewer in list(running):
            if not block and viewer.process.poll() is None:
                continue
            try:
                viewer.process.wait(timeout=args.duration + 60)
            except subprocess.TimeoutExpired:
                viewer.process.kill()
                viewer.process.wait()
            running.remove((label, viewer))
            join, recording = viewer.result()
            result = results[label]
            if join is None:
                result["failed"] += 1
                log(f"  {label}: join failed, see {viewer.log_path}")
            else:
                result["joins"].append(join)
            if recording is not None and (not recording["has_audio"] or
                                          recording["audio_frames"] == 0):
                result["silent"] += 1
                log(f"  {label}: recording without audio: {viewer.record_path} {recording}")

    while started < args.viewers * len(binaries) and time.time() < deadline:
        while len(running) >= args.parallel:
            reap(False)
            time.sleep(0.05)
        label, binary = binaries[started % len(binaries)]
        number = numbers[started % len(numbers)]
        running.append((label, Viewer(args, binary, work, number, account, first_index + started,
                                      transport, record)))
        started += 1
        time.sleep(args.interval)
        reap(False)
    while running:
        reap(True)
    return [{"viewer": label, "joins_ms": summary(r["joins"]), "failed_joins": r["failed"],
             "recordings_without_audio": r["silent"] if record else None,
             "all_ms": sorted(r["joins"])} for label, r in results.items()]


def ffmpeg_joins(args, base, log_path):
    """ffmpeg players: callcastd's PLAY to the first decoded frame; the server's CPU and RSS."""
    publish_url = api(base, "POST", "/v1/groups", {"master": "13800000009"})["publish_url"]
    publisher = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i",
         "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
         "-b:v", "2M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "rtsp",
         "-rtsp_transport", "tcp", publish_url])
    players = []
    try:
        time.sleep(3)
        joins = []
        for i in range(args.ffmpeg_joins):
            viewer = f"1390000{i:04d}"
            url = api(base, "POST", "/v1/groups/13800000009/viewers",
                      {"viewer": viewer})["play_url"]
            player = subprocess.Popen(
                ["ffmpeg", "-loglevel", "error", "-nostdin", "-rtsp_transport", "udp", "-i", url,
                 "-t", "3", "-f", "null", "-", "-progress", "pipe:1", "-stats_period", "0.01"],
                stdout=subprocess.PIPE, text=True)
            first = None
            for line in player.stdout:
                if first is None and line.startswith("frame=") and int(line[6:]) > 0:
                    first = time.time()
            player.wait(timeout=30)
            played = None
            for line in open(log_path):
                if f"terminal={viewer} step=714 viewer playing" in line:
                    stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
                    played = stamp.timestamp()
            if first and played:
                joins.append((first - played) * 1000)
            time.sleep(0.37)  # land at different points of the 2 s GOP
        for i in range(3):
            url = api(base, "POST", "/v1/groups/13800000009/viewers",
                      {"viewer": f"1391000{i:04d}"})["play_url"]
            players.append(subprocess.Popen(
                ["ffmpeg", "-loglevel", "error", "-nostdin", "-rtsp_transport", "udp", "-i", url,
                 "-t", "14", "-c", "copy", "-f", "null", "-"]))
        time.sleep(3)
        server_pid = args.server_pid
        cpu0, t0 = cpu_seconds(server_pid), time.time()
        time.sleep(10)
        cpu_percent = 100 * (cpu_seconds(server_pid) - cpu0) / (time.time() - t0)
        rss = rss_kib(server_pid)
        for p in players:
            p.wait(timeout=30)
        return {"joins": len(joins),
                "play_to_first_decoded_frame_ms": summary([round(j, 1) for j in joins]),
                "server_cpu_percent_3_viewers": round(cpu_percent, 2),
                "server_rss_kib_3_viewers": rss,
                "stream": "1280x720 25fps H.264 2 Mbit/s GOP 2 s + AAC, ffmpeg players over UDP"}
    finally:
        for p in players + [publisher]:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "dev"))
    parser.add_argument("--viewers", type=int, default=30, help="joins per case")
    parser.add_argument("--parallel", type=int, default=3, help="viewers playing at once")
    parser.add_argument("--interval", type=float, default=0.37,
                        help="s between two joins (0.37: every point of the 2 s GOP)")
    parser.add_argument("--duration", type=int, default=1, help="s each viewer plays")
    parser.add_argument("--audio", default="aac,opus", help="audio codecs, one broadcast each")
    parser.add_argument("--record", default="off,on", help="cases: off, on or both")
    parser.add_argument("--transport", default="udp,tcp",
                        help="RTP over udp, tcp (--rtsp-transport tcp) or both")
    parser.add_argument("--latency", type=int, default=None, help="viewers' --latency (ms)")
    parser.add_argument("--time-limit", type=float, default=900,
                        help="s after which no join starts")
    parser.add_argument("--ffmpeg-joins", type=int, default=0,
                        help="also N ffmpeg players: PLAY to first frame, server CPU/RSS")
    parser.add_argument("--viewer-log-level", default="info")
    parser.add_argument("--baseline", metavar="CALLCAST",
                        help="another callcast binary whose viewers take turns with this "
                             "build's in every case (before/after in the same conditions)")
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the scratch directory (logs, stats, recordings)")
    args = parser.parse_args()
    args.viewers = max(1, min(args.viewers, MAX_VIEWERS))
    args.parallel = max(1, args.parallel)
    callcastd = os.path.abspath(os.path.join(args.build_dir, "apps", "callcastd", "callcastd"))
    args.callcast = os.path.abspath(os.path.join(args.build_dir, "apps", "callcast", "callcast"))
    args.viewer_binaries = [("build", args.callcast)]
    if args.baseline:
        args.viewer_binaries.append(("baseline", os.path.abspath(args.baseline)))
    deadline = time.time() + args.time_limit
    work = tempfile.mkdtemp(prefix="callcast-join-")
    log_path = os.path.join(work, "callcastd.log")
    numbers = [f"139{i:08d}" for i in range(1, args.parallel + 1)]
    users = os.path.join(work, "users")
    for number in [MASTER] + numbers:
        subprocess.run([callcastd, "user", "add", number, "--users", users, "--password",
                        PASSWORD], check=True, stdout=subprocess.DEVNULL)
    processes = []
    try:
        server = subprocess.Popen(
            [callcastd, "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
             "--sip", "127.0.0.1:0", "--users", users,
             "--forwarding-db", os.path.join(work, "forwarding.sqlite")],
            stdout=subprocess.PIPE, stderr=open(log_path, "w"), text=True, cwd=work)
        processes.append(server)
        args.server_pid = server.pid
        fields = dict(f.split("=", 1) for f in server.stdout.readline().split() if "=" in f)
        base = "http://" + fields["http"]
        account = ["--password", PASSWORD, "--server", fields["sip"]]
        watch_flags = account + (["--latency", str(args.latency)] if args.latency is not None else [])
        cases, index = [], 0
        for codec in args.audio.split(","):
            out = os.path.join(work, f"broadcast-{codec}.out")
            broadcaster = subprocess.Popen(
                [args.callcast, "broadcast", "--number", MASTER, *account, "--ut-url", base,
                 "--size", "1280x720", "--fps", "25", "--bitrate", "2M", "--keyframe-interval",
                 "2", "--audio-codec", codec, "--log-level", "warn"],
                stdout=open(out, "w"), stderr=open(out + ".err", "w"))
            processes.append(broadcaster)
            if not wait_for(out, "now forward to the service number", 30, broadcaster):
                raise SystemExit("the broadcast did not go live: " + open(out).read())
            time.sleep(1)
            for transport in args.transport.split(","):
                for record in args.record.split(","):
                    per_viewer = run_case(args, work, numbers, watch_flags, transport,
                                          record == "on", deadline, index)
                    index += args.viewers * 2
                    for case in per_viewer:
                        case.update({"audio": codec, "transport": transport,
                                     "record": record == "on"})
                        cases.append(case)
                        j = case["joins_ms"]
                        log(f"{case['viewer']:>8} {codec:>4} {transport} record={record:<3} "
                            f"joins={j['n']:>3} p50={j.get('p50')} p90={j.get('p90')} "
                            f"p99={j.get('p99')} max={j.get('max')} "
                            f"failed={case['failed_joins']} "
                            f"silent_recordings={case['recordings_without_audio']}")
            stop(broadcaster, 15)
            wait_until_no_group(base)
        result = {"bench": "join_time", "cores": os.cpu_count(), "viewers_per_case": args.viewers,
                  "parallel": args.parallel, "interval_s": args.interval,
                  "stream": "callcast broadcast 1280x720 25 fps 2 Mbit/s H.264, keyframe every 2 s",
                  "measure": "INVITE sent to first decoded video frame (callcast watch join_ms)",
                  "cases": cases}
        if args.ffmpeg_joins > 0:
            result["ffmpeg"] = ffmpeg_joins(args, base, log_path)
        for label, _ in args.viewer_binaries:
            result[f"all_cases_ms_{label}"] = summary(
                [j for case in cases if case["viewer"] == label for j in case["all_ms"]])
        all_joins = [j for case in cases for j in case["all_ms"]]
        print(json.dumps(result))
        return 0 if all_joins and not any(c["failed_joins"] for c in cases) else 1
    finally:
        for p in reversed(processes):
            stop(p)
        if args.keep_dir:
            log(f"join_time: scratch directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
