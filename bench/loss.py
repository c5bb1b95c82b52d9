#!/usr/bin/env python3
"""Loss benchmark (issue 12): viewers behind a lossy, delayed path, side by side.

A lab of three network namespaces made here and removed at the end (names carry this PID):

    srv 10.97.1.1 --- eth0 rtr eth1 --- vw 10.97.2.1
    (server + publisher)  (router)      (viewers)

The router forwards through two NFQUEUEs served by callcast-lossy-path (bench/lossy_path/):
queue 0, UDP towards the viewers except SIP, drops (random or bursty, seeded) and delays by
RTT/2; queue 1, everything else both ways, only delays by RTT/2. So the path has the RTT asked
for, and only media datagrams towards the viewers are lost (RTSP, SIP and the viewers' RTCP are
not).

For each loss level, each server mode in turn, with the same seed (the same packet numbers lost):
  off   callcastd, `[media] rtx_window_ms = 0` (repair off)
  on    callcastd with its default config (repair on)
  peer  gst-rtsp-server with RTX (callcast-peer-gst --rtx-time: AVPF offered, RFC 4588)
a 720p25 2 Mbit/s H.264 stream with a keyframe every 2 s and AAC audio is published from srv
(`callcast broadcast` to callcastd; the same pipeline sent as RTP to the peer), and watched from
vw for --duration seconds by `callcast watch --record` (callcastd only: it calls a number),
GStreamer rtspsrc (protocols=udp, do-retransmission=true, default latency) and ffmpeg
(-rtsp_transport udp), each recording what it received without re-encoding. Every recording is
decoded by bench/loss_frames.py (frames clean / decoded). The path counts retransmissions
(repeats of a sequence number on a flow, and RFC 4588 flows) and the NACK/PLI it carried.

Run through bench/loss.sh (which installs and builds what it needs). Needs root. Prints progress
on stderr; stdout holds a table, then one JSON line. Writes CSV, JSONL, PNG under bench/results/.
"""
import argparse
import csv
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loss_frames  # noqa: E402

PREFIX = f"cclb{os.getpid()}-"
SRV, RTR, VW = PREFIX + "srv", PREFIX + "rtr", PREFIX + "vw"
SRV_IP, VW_IP = "10.97.1.1", "10.97.2.1"
SIP, RTSP, HTTP = 5060, 8554, 8080
MASTER, WATCHER, PASSWORD = "13800000001", "13900000002", "bench-loss-pass"
GST_VIEWER, FFMPEG_VIEWER = "13900000003", "13900000004"
GST_PORTS, FFMPEG_PORTS = (40000, 40019), (41000, 41019)
VIDEO_IN, AUDIO_IN = 5000, 5002  # the peer's input ports, on srv's loopback
FPS, SIZE, BITRATE_KBPS, KEY_S = 25, (1280, 720), 2000, 2

started = []  # every process this bench started, newest last: the only ones it stops


def say(text):
    print(f"loss: {text}", file=sys.stderr, flush=True)


def sh(*argv, check=True, timeout=20):
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=timeout)


def in_ns(ns, argv):
    return ["ip", "netns", "exec", ns, *argv]


def spawn(ns, argv, out, err=None, **kwargs):
    process = subprocess.Popen(in_ns(ns, argv), stdout=open(out, "w"),
                               stderr=open(err, "w") if err else subprocess.STDOUT, **kwargs)
    started.append(process)
    return process


def stop(process, sig=signal.SIGINT, timeout=15):
    """Stops one process this bench started: `sig`, then SIGKILL after `timeout` s."""
    if process.poll() is None:
        try:
            process.send_signal(sig)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process in started:
        started.remove(process)


def wait_for(path, text, timeout, process=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


# --- The lab ------------------------------------------------------------------------------------
def make_lab():
    for ns in (SRV, RTR, VW):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", SRV, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", RTR)
    sh("ip", "-n", RTR, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", VW)
    for ns, dev, address in ((SRV, "eth0", SRV_IP + "/24"), (RTR, "eth0", "10.97.1.254/24"),
                             (RTR, "eth1", "10.97.2.254/24"), (VW, "eth0", VW_IP + "/24")):
        sh("ip", "-n", ns, "addr", "add", address, "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
    sh("ip", "-n", SRV, "route", "add", "default", "via", "10.97.1.254")
    sh("ip", "-n", VW, "route", "add", "default", "via", "10.97.2.254")
    sh(*in_ns(RTR, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]))
    # Media towards the viewers: lossy. SIP stays whole (its own retransmissions would only
    # slow the set-up down, which is not what is measured).
    sh(*in_ns(RTR, ["iptables", "-A", "FORWARD", "-i", "eth0", "-o", "eth1", "-p", "udp", "!",
                    "--sport", str(SIP), "-j", "NFQUEUE", "--queue-num", "0"]))
    sh(*in_ns(RTR, ["iptables", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", "1"]))


def remove_lab():
    for ns in (SRV, RTR, VW):
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        for pid in pids:  # only what runs inside this run's own namespaces
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check=False)


# --- Servers and publishers ---------------------------------------------------------------------
class Callcastd:
    def __init__(self, binary, work, config_text):
        self.work = work
        config = os.path.join(work, "callcastd.toml")
        with open(config, "w") as f:
            f.write(config_text)
        self.log = os.path.join(work, "callcastd.log")
        self.process = spawn(SRV, [binary, "--config", config, "--rtsp", f"0.0.0.0:{RTSP}",
                                   "--sip", f"0.0.0.0:{SIP}", "--http", f"0.0.0.0:{HTTP}",
                                   "--public-host", SRV_IP, "--rtp-ports", "8000-8001",
                                   "--users", os.path.join(work, "..", "users"),
                                   "--forwarding-db", os.path.join(work, "fwd.sqlite"),
                                   "--log-level", "warn"],
                             os.path.join(work, "callcastd.out"), self.log)
        if not wait_for(os.path.join(work, "callcastd.out"), "callcastd ready", 20, self.process):
            raise RuntimeError("callcastd did not start: " + open(self.log).read()[-2000:])

    def api(self, method, path, body=None):
        argv = ["curl", "-s", "-m", "5", "-X", method, f"http://127.0.0.1:{HTTP}{path}"]
        if body is not None:
            argv += ["-d", json.dumps(body)]
        out = sh(*in_ns(SRV, argv), check=False).stdout
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            return {"error": out[:300]}

    def stop(self):
        stop(self.process, signal.SIGTERM)


def callcastd_rejects(binary, work, config_text):
    """The reason callcastd refuses this config (an unknown key, before repair lands), or None."""
    config = os.path.join(work, "probe.toml")
    with open(config, "w") as f:
        f.write(config_text)
    # `user list` loads the config the same way the daemon does, and returns at once.
    result = sh(binary, "--config", config, "user", "list", "--users",
                os.path.join(work, "users"), check=False)
    text = (result.stdout + result.stderr).strip()
    return text.splitlines()[-1] if result.returncode != 0 and text else None


def start_broadcast(callcast, work):
    out = os.path.join(work, "broadcast.out")
    process = spawn(SRV, [callcast, "broadcast", "--number", MASTER, "--password", PASSWORD,
                          "--server", f"127.0.0.1:{SIP}", "--ut-url", f"http://127.0.0.1:{HTTP}",
                          "--size", f"{SIZE[0]}x{SIZE[1]}", "--fps", str(FPS),
                          "--bitrate", f"{BITRATE_KBPS}k", "--keyframe-interval", str(KEY_S),
                          "--stats-json", os.path.join(work, "broadcast.json")], out)
    if not wait_for(out, "step 707", 40, process):
        raise RuntimeError("the broadcast did not go live: " + open(out).read()[-2000:])
    return process


def start_peer(peer, work, rtx_ms):
    out = os.path.join(work, "peer.out")
    process = spawn(SRV, [peer, "--address", "0.0.0.0", "--rtsp-port", str(RTSP), "--video-port",
                          str(VIDEO_IN), "--audio-port", str(AUDIO_IN), "--audio-config", "1190",
                          "--rtx-time", str(rtx_ms)], out)
    if not wait_for(out, "ready rtsp://", 20, process):
        raise RuntimeError("the peer did not start: " + open(out).read()[-2000:])
    return process


def peer_publisher_argv():
    """The broadcaster's own encoding (src/terminal/media/broadcast_description.cpp), as RTP."""
    w, h = SIZE
    return ["gst-launch-1.0", "-q",
            "videotestsrc", "is-live=true", "pattern=smpte", "!", "videoconvert", "!",
            f"video/x-raw,format=I420,width={w},height={h},framerate={FPS}/1", "!",
            "clockoverlay", 'time-format="%H:%M:%S"', "halignment=right", "valignment=top", "!",
            "queue", "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast",
            f"bitrate={BITRATE_KBPS}", f"key-int-max={FPS * KEY_S}", "!",
            "video/x-h264,profile=constrained-baseline", "!", "h264parse", "config-interval=-1",
            "!", "rtph264pay", "pt=96", "config-interval=-1", "!", "udpsink", "host=127.0.0.1",
            f"port={VIDEO_IN}", "sync=false",
            "audiotestsrc", "is-live=true", "wave=sine", "freq=440", "volume=0.2", "!", "queue",
            "!", "audioconvert", "!", "audioresample", "!", "audio/x-raw,rate=48000,channels=2",
            "!", "avenc_aac", "!", "rtpmp4gpay", "pt=97", "!", "udpsink", "host=127.0.0.1",
            f"port={AUDIO_IN}", "sync=false"]


# --- Viewers ------------------------------------------------------------------------------------
def start_viewers(mode, work, callcast, duration, urls, kinds):
    viewers = {}
    grace = 15
    if mode != "peer" and "callcast" in kinds:
        viewers["callcast"] = spawn(VW, ["timeout", "-s", "INT", "-k", "5", str(duration + 30),
                                         callcast, "watch", MASTER, "--number", WATCHER,
                                         "--password", PASSWORD, "--server", f"{SRV_IP}:{SIP}",
                                         "--duration", str(duration), "--record",
                                         os.path.join(work, "callcast.mkv"), "--stats-json",
                                         os.path.join(work, "callcast.json")],
                                    os.path.join(work, "callcast.out"))
    # -e: an interrupt becomes end-of-stream, so matroskamux writes its index.
    if "gstreamer" in kinds:
        viewers["gstreamer"] = spawn(VW, [
            "timeout", "-s", "INT", "-k", str(grace), str(duration), "gst-launch-1.0", "-e",
            "rtspsrc", f"location={urls['gstreamer']}", "protocols=udp", "do-retransmission=true",
            f"port-range={GST_PORTS[0]}-{GST_PORTS[1]}", "name=src",
            "src.", "!", "application/x-rtp,media=video", "!", "rtph264depay", "!", "h264parse",
            "!", "matroskamux", "!", "filesink",
            f"location={os.path.join(work, 'gstreamer.mkv')}",
            "src.", "!", "application/x-rtp,media=audio", "!", "fakesink"],
            os.path.join(work, "gstreamer.out"))
    if "ffmpeg" in kinds:
        viewers["ffmpeg"] = spawn(VW, [
            "timeout", "-s", "INT", "-k", str(grace), str(duration + 10), "ffmpeg", "-nostdin",
            "-y", "-v", "warning", "-rtsp_transport", "udp", "-min_port", str(FFMPEG_PORTS[0]),
            "-max_port", str(FFMPEG_PORTS[1]), "-i", urls["ffmpeg"], "-map", "0:v", "-c", "copy",
            "-t", str(duration), os.path.join(work, "ffmpeg.mkv")],
            os.path.join(work, "ffmpeg.out"))
    return viewers


def viewer_of_port(port):
    if GST_PORTS[0] <= port <= GST_PORTS[1]:
        return "gstreamer"
    if FFMPEG_PORTS[0] <= port <= FFMPEG_PORTS[1]:
        return "ffmpeg"
    return "callcast"


def path_figures(path_counts):
    """Per viewer: media and retransmitted packets/bytes seen on the path (before its drops).

    A viewer's RTP flows share its ports; per port the flow with the most packets is the media,
    its repeats are plain resends, and other flows with another payload type are RFC 4588."""
    per_port = {}
    for flow in path_counts.get("flows", []):
        host, port = flow["dst"].rsplit(":", 1)
        if host != VW_IP:
            continue
        per_port.setdefault(int(port), []).append(flow)
    viewers = {}
    for port, flows in per_port.items():
        main = max(flows, key=lambda f: f["packets"])
        figures = viewers.setdefault(viewer_of_port(port), {
            "media_packets": 0, "media_bytes": 0, "rtx_packets": 0, "rtx_bytes": 0,
            "dropped": 0})
        for flow in flows:
            figures["dropped"] += flow["dropped"]
            if flow is main or flow["pt"] == main["pt"]:
                figures["media_packets"] += flow["packets"] - flow["repeats"]
                figures["rtx_packets"] += flow["repeats"]
                share = flow["bytes"] / max(1, flow["packets"])
                figures["media_bytes"] += int(share * (flow["packets"] - flow["repeats"]))
                figures["rtx_bytes"] += int(share * flow["repeats"])
            else:
                figures["rtx_packets"] += flow["packets"]
                figures["rtx_bytes"] += flow["bytes"]
    return viewers


def server_counters(group_json):
    """Numeric fields about repair in the group's JSON, by their path (list indices left out,
    so per-viewer figures are summed over the viewers: "viewers[].repair.packets_repaired");
    none before repair lands."""
    found = {}
    pattern = re.compile(r"nack|retrans|repair|rtx|miss|pli|fir|remb|tmmbr|keyframe_req|thinn")

    def walk(node, path, relevant):
        if isinstance(node, dict):
            for key, value in node.items():
                name = f"{path}.{key}" if path else key
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    if relevant or pattern.search(key):
                        found[name] = found.get(name, 0) + value
                else:
                    walk(value, name, relevant or bool(pattern.search(key)))
        elif isinstance(node, list):
            for item in node:
                walk(item, path + "[]", relevant)
    walk(group_json, "", False)
    return found


# --- One run ------------------------------------------------------------------------------------
def start_path(work, level, rtt_ms, seed, lossy):
    half = f"{rtt_ms / 2:g}"
    argv = [lossy, "--queue", "0", "--delay-ms", half, "--seed", str(seed),
            "--loss", f"{level['loss']:g}"]
    if level.get("burst"):
        argv += ["--burst", level["burst"]]
    # The path must not be what falls behind on a loaded machine: it runs ahead of the rest.
    argv = ["nice", "-n", "-15", *argv]
    down = spawn(RTR, argv, os.path.join(work, "path-down.json"), os.path.join(work, "path.err"))
    up = spawn(RTR, ["nice", "-n", "-15", lossy, "--queue", "1", "--delay-ms", half],
               os.path.join(work, "path-up.json"), os.path.join(work, "path-up.err"))
    for name, process in (("path-down.json", down), ("path-up.json", up)):
        if not wait_for(os.path.join(work, name), "ready queue", 10, process):
            raise RuntimeError("callcast-lossy-path did not bind its queue: " +
                               open(os.path.join(work, "path.err")).read()[-500:])
    return down, up


def last_line(path):
    """The viewer's last words, for a run that left no recording (ffmpeg gets 461 from an
    AVPF-only gst-rtsp-server: it sets up RTP/AVP)."""
    try:
        lines = [line.strip() for line in open(path, errors="replace") if line.strip()]
    except OSError:
        return "no output"
    for line in reversed(lines):
        if re.search(r"\b4\d\d\b|error|fail", line, re.I):
            return line[:160]
    return lines[-1][:160] if lines else "no output"


def queue_drops():
    """Packets the router's kernel dropped on the way to or from a queue (queue full, or the
    program's socket full): loss nobody asked for, reported beside the figures."""
    out = sh(*in_ns(RTR, ["cat", "/proc/net/netfilter/nfnetlink_queue"]), check=False).stdout
    drops = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 7:
            drops[fields[0]] = int(fields[5]) + int(fields[6])
    return drops


def read_counts(path):
    try:
        lines = [line for line in open(path) if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, json.JSONDecodeError):
        return {}


def run_one(args, mode, level, work, tools):
    say(f"{level['name']}: {mode} ...")
    os.makedirs(work, exist_ok=True)
    down, up = start_path(work, level, args.rtt_ms, args.seed + level["index"], tools["lossy"])
    server = publisher = None
    viewers = {}
    counters = {}
    kernel_drops = {}
    error = None
    try:
        if mode == "peer":
            server = start_peer(tools["peer"], work, args.peer_rtx_ms)
            publisher = spawn(SRV, peer_publisher_argv(), os.path.join(work, "publisher.out"))
            time.sleep(1.5)
            url = f"rtsp://{SRV_IP}:{RTSP}/clip"
            urls = {"gstreamer": url, "ffmpeg": url}
        else:
            config = "[media]\nrtx_window_ms = 0\n" if mode == "off" and tools["rtx_key"] else ""
            server = Callcastd(tools["callcastd"], work, config)
            publisher = start_broadcast(tools["callcast"], work)
            urls = {}
            for kind, number in (("gstreamer", GST_VIEWER), ("ffmpeg", FFMPEG_VIEWER)):
                answer = server.api("POST", f"/v1/groups/{MASTER}/viewers", {"viewer": number})
                if "play_url" not in answer:
                    raise RuntimeError(f"no play URL for the {kind} viewer: {answer}")
                urls[kind] = answer["play_url"]
        viewers = start_viewers(mode, work, tools["callcast"], args.duration, urls,
                                args.viewers)
        # The server's view near the end, while every viewer still plays.
        deadline = time.time() + args.duration - 1
        while time.time() < deadline and any(v.poll() is None for v in viewers.values()):
            time.sleep(0.2)
        if mode != "peer":
            counters = server_counters(server.api("GET", f"/v1/groups/{MASTER}"))
        kernel_drops = queue_drops()
        limit = time.time() + 40
        for viewer in viewers.values():
            try:
                viewer.wait(max(1, limit - time.time()))
            except subprocess.TimeoutExpired:
                pass
    except (RuntimeError, OSError) as failure:
        error = str(failure)
        say(f"{level['name']}: {mode}: {error}")
    finally:
        for viewer in viewers.values():
            stop(viewer)
        if publisher is not None:
            stop(publisher)
        if server is not None:
            server.stop() if isinstance(server, Callcastd) else stop(server, signal.SIGTERM)
        stop(down, signal.SIGTERM)
        stop(up, signal.SIGTERM)

    path_down = read_counts(os.path.join(work, "path-down.json"))
    path_up = read_counts(os.path.join(work, "path-up.json"))
    per_viewer = path_figures(path_down)
    rows = []
    kinds = (["callcast"] if mode != "peer" else []) + ["gstreamer", "ffmpeg"]
    for kind in [k for k in kinds if k in args.viewers]:
        recording = os.path.join(work, kind + ".mkv")
        frames = loss_frames.analyze(recording, FPS) if os.path.exists(recording) else {
            "error": "no recording: " + last_line(os.path.join(work, kind + ".out"))}
        figures = per_viewer.get(kind, {})
        stats = {}
        if kind == "callcast":
            try:
                stats = json.load(open(os.path.join(work, "callcast.json")))
            except (OSError, json.JSONDecodeError):
                stats = {}
        latency = stats.get("latency_ms") or {}
        media_bytes = figures.get("media_bytes", 0)
        rows.append({
            "level": level["name"], "loss_pct": level["loss"], "burst": level.get("burst"),
            "mode": mode, "viewer": kind,
            "clean_pct": frames.get("clean_pct"), "decoded_pct": frames.get("decoded_pct"),
            "rtx_per_s": round(figures.get("rtx_packets", 0) / args.duration, 1),
            "extra_bw_pct": round(100.0 * figures.get("rtx_bytes", 0) / media_bytes, 2)
            if media_bytes else None,
            "latency_p50_ms": latency.get("p50"), "latency_p90_ms": latency.get("p90"),
            "path_dropped": figures.get("dropped"), "media_packets": figures.get("media_packets"),
            "frames": frames, "error": error or frames.get("error"),
        })
    repaired = counters.get("repair.packets_repaired")
    return {"mode": mode, "level": level["name"], "rows": rows, "server_counters": counters,
            "server_repaired_per_s": round(repaired / args.duration, 1)
            if repaired is not None else None,
            "path_down": {k: v for k, v in path_down.items() if k != "flows"},
            "viewer_feedback": path_up.get("rtcp"), "path_kernel_drops": kernel_drops,
            "path_overruns": path_down.get("netlink_overruns", 0) + path_up.get(
                "netlink_overruns", 0), "error": error}


# --- Report -------------------------------------------------------------------------------------
def fmt(value, suffix=""):
    return "-" if value is None else f"{value:g}{suffix}"


def report(args, runs, skipped, paths, wall_s):
    rows = [row for run in runs for row in run["rows"]]
    with open(paths["csv"], "w", newline="") as f:
        fields = ["level", "loss_pct", "burst", "mode", "viewer", "clean_pct", "decoded_pct",
                  "rtx_per_s", "extra_bw_pct", "latency_p50_ms", "latency_p90_ms",
                  "path_dropped", "media_packets", "error"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(paths["jsonl"], "w") as f:
        for run in runs:
            f.write(json.dumps(run) + "\n")
    print(f"loss benchmark: {args.duration} s per run, RTT {args.rtt_ms} ms, "
          f"720p{FPS} {BITRATE_KBPS} kbit/s, keyframe every {KEY_S} s")
    print("| loss | server | viewer | frames clean | frames decoded | rtx/s | extra bw | "
          "g2g p50 / p90 ms | NACKs sent (all viewers) | server repaired/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    labels = {"off": "callcast, repair off", "on": "callcast, repair on",
              "peer": f"gst-rtsp-server RTX {args.peer_rtx_ms} ms"}
    for run in runs:
        feedback = run.get("viewer_feedback") or {}
        for row in run["rows"]:
            print(f"| {row['level']} | {labels[row['mode']]} | {row['viewer']} | "
                  f"{fmt(row['clean_pct'], ' %')} | {fmt(row['decoded_pct'], ' %')} | "
                  f"{fmt(row['rtx_per_s'])} | {fmt(row['extra_bw_pct'], ' %')} | "
                  f"{fmt(row['latency_p50_ms'])} / {fmt(row['latency_p90_ms'])} | "
                  f"{feedback.get('nack_messages', '-')} | {fmt(run.get('server_repaired_per_s'))} |"
                  + (f" error: {row['error']}" if row["error"] else ""))
    for run in runs:
        unasked = sum((run.get("path_kernel_drops") or {}).values()) + run.get("path_overruns", 0)
        if unasked:
            print(f"note: {run['level']} {run['mode']}: the path itself lost {unasked} packets "
                  "(queue or socket full: the machine was overloaded); figures are pessimistic")
    for line in skipped:
        print(f"note: {line}")
    plot(rows, paths)
    summary = {"bench": "loss", "quick": args.quick, "duration_s": args.duration,
               "rtt_ms": args.rtt_ms, "levels": [lv for lv in args.level_names],
               "modes": args.modes, "skipped": skipped, "wall_s": round(wall_s, 1),
               "clean_pct": {}, "latency_p90_ms": {}, "rtx_per_s": {},
               "csv": paths["csv"], "jsonl": paths["jsonl"], "png": paths["png"]}
    for run in runs:
        if run.get("server_counters"):
            summary.setdefault("server_counters", {}).setdefault(run["mode"], {})[
                run["level"]] = run["server_counters"]
    for row in rows:
        key = f"{row['mode']}/{row['viewer']}"
        summary["clean_pct"].setdefault(key, {})[row["level"]] = row["clean_pct"]
        summary["rtx_per_s"].setdefault(key, {})[row["level"]] = row["rtx_per_s"]
        if row["latency_p90_ms"] is not None:
            summary["latency_p90_ms"].setdefault(key, {})[row["level"]] = row["latency_p90_ms"]
    with open(paths["latest"], "w") as f:
        json.dump(summary, f)
    print(json.dumps(summary))


def plot(rows, paths):
    """Frames clean % against loss level, one line per server and viewer (gnuplot-nox)."""
    series = {}
    levels = []
    for row in rows:
        if row["level"] not in levels:
            levels.append(row["level"])
        series.setdefault(f"{row['mode']} / {row['viewer']}", {})[row["level"]] = row["clean_pct"]
    data = paths["png"] + ".dat"
    with open(data, "w") as f:
        f.write("level " + " ".join(f'"{name}"' for name in series) + "\n")
        for i, level in enumerate(levels):
            values = [series[name].get(level) for name in series]
            f.write(f'{i} "{level}" ' + " ".join("NaN" if v is None else str(v) for v in values)
                    + "\n")
    plots = ", ".join(f"'{data}' using 1:{j + 3}:xtic(2) with linespoints title '{name}'"
                      for j, name in enumerate(series))
    script = (f"set terminal pngcairo size 1000,600 noenhanced\nset output '{paths['png']}'\n"
              "set title 'Frames clean (no decoder error since the last keyframe)'\n"
              "set ylabel 'frames clean %'\nset xlabel 'loss towards the viewers'\n"
              "set yrange [0:105]\nset key outside right\nset grid\n"
              f"plot {plots}\n")
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True,
                       timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        say(f"no plot: {error}")
    finally:
        if os.path.exists(data):
            os.remove(data)


# --- Main ---------------------------------------------------------------------------------------
def parse_levels(text):
    """'0,1,2,5,10,burst5' -> levels; burstN: N % on average in bursts of 2 to 5 packets."""
    levels = []
    for index, item in enumerate(text.split(",")):
        item = item.strip()
        match = re.fullmatch(r"burst(\d+(?:\.\d+)?)", item)
        if match:
            levels.append({"name": f"{match.group(1)} % bursty", "loss": float(match.group(1)),
                           "burst": "2-5", "index": index})
        elif re.fullmatch(r"\d+(?:\.\d+)?", item) and float(item) < 100:
            levels.append({"name": f"{item} %", "loss": float(item), "index": index})
        else:
            raise SystemExit(f"loss: bad level '{item}' (numbers in %, or burstN)")
    return levels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--peer", required=True, help="callcast-peer-gst")
    parser.add_argument("--lossy-path", required=True, help="callcast-lossy-path")
    parser.add_argument("--quick", action="store_true",
                        help="levels 0,5,burst5 and 10 s runs")
    parser.add_argument("--duration", type=int, help="seconds each viewer watches (default 20)")
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--levels", help="default 0,1,2,5,10,burst5 (--quick: 0,5,burst5)")
    parser.add_argument("--modes", default="off,on,peer")
    parser.add_argument("--viewers", default="callcast,gstreamer,ffmpeg",
                        help="which viewers watch (the others are not started)")
    parser.add_argument("--peer-rtx-ms", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--results", default="bench/results")
    parser.add_argument("--keep-dir", action="store_true")
    args = parser.parse_args()
    args.duration = args.duration or (10 if args.quick else 20)
    if not 3 <= args.duration <= 600:
        raise SystemExit("loss: --duration must be 3 to 600 s")
    if not 0 <= args.rtt_ms <= 2000:
        raise SystemExit("loss: --rtt-ms must be 0 to 2000")
    levels = parse_levels(args.levels or ("0,5,burst5" if args.quick else "0,1,2,5,10,burst5"))
    args.level_names = [lv["name"] for lv in levels]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or any(m not in ("off", "on", "peer") for m in args.modes):
        raise SystemExit("loss: --modes takes off, on, peer")
    args.viewers = [v.strip() for v in args.viewers.split(",") if v.strip()]
    if not args.viewers or any(v not in ("callcast", "gstreamer", "ffmpeg") for v in args.viewers):
        raise SystemExit("loss: --viewers takes callcast, gstreamer, ffmpeg")
    if os.geteuid() != 0:
        raise SystemExit("loss: needs root (network namespaces, iptables, NFQUEUE)")
    tools = {"callcastd": os.path.join(args.build_dir, "apps/callcastd/callcastd"),
             "callcast": os.path.join(args.build_dir, "apps/callcast/callcast"),
             "peer": args.peer, "lossy": args.lossy_path}
    for name, binary in tools.items():
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"loss: no {name} at {binary}")

    work = tempfile.mkdtemp(prefix="callcast-loss-")
    say(f"scratch {work}")
    for number in (MASTER, WATCHER, GST_VIEWER, FFMPEG_VIEWER):
        sh(tools["callcastd"], "user", "add", number, "--users", os.path.join(work, "users"),
           "--password", PASSWORD)
    skipped = []
    reason = callcastd_rejects(tools["callcastd"], work, "[media]\nrtx_window_ms = 0\n")
    tools["rtx_key"] = reason is None
    if reason is not None:
        if "on" in args.modes:
            args.modes.remove("on")
            skipped.append("mode 'on' (repair) skipped: this callcastd has no media.rtx_window_ms "
                           f"({reason}); 'off' runs its default config, which has no repair")
        else:
            skipped.append(f"this callcastd has no media.rtx_window_ms ({reason}): 'off' runs "
                           "its default config, which has no repair")
        say(skipped[-1])

    def on_signal(number, _frame):
        raise SystemExit(128 + number)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(args.results, exist_ok=True)
    paths = {"csv": os.path.join(args.results, f"loss-{stamp}.csv"),
             "jsonl": os.path.join(args.results, f"loss-{stamp}.jsonl"),
             "png": os.path.join(args.results, f"loss-{stamp}.png"),
             "latest": os.path.join(args.results, "loss-latest.json")}
    runs = []
    began = time.time()
    make_lab_ok = False
    try:
        make_lab()
        make_lab_ok = True
        for level in levels:
            for mode in args.modes:
                runs.append(run_one(args, mode, level, os.path.join(
                    work, f"{level['index']}-{mode}"), tools))
    finally:
        for process in reversed(list(started)):
            stop(process, signal.SIGKILL, 5)
        remove_lab()
        if not args.keep_dir:
            subprocess.run(["rm", "-rf", work], check=False)
        elif make_lab_ok:
            say(f"kept {work}")
    report(args, runs, skipped, paths, time.time() - began)
    return 0 if all(run["error"] is None for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
