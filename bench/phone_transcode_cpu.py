#!/usr/bin/env python3
"""Transcoding cost: callcastd's CPU with phone viewers that need G.711 from an AAC group (issue 13,
"Measured": the cost must not grow per phone).

Starts callcastd (every port chosen by the OS, files in a scratch directory removed at the end
unless --keep-dir) and one `callcast broadcast` (its default audio is AAC: 48 kHz tone; video
1280x720 25 fps 2 Mbit/s H.264, a keyframe every 2 s by default), then measures callcastd's CPU
(utime + stime of /proc/<pid>/stat, all threads, over a --window s window, in % of one core) with
phone-style viewers that this script plays itself: each is admitted through the control API
(`POST /v1/groups/{group}/viewers`) and started with `POST /v1/groups/{group}/phone-viewers`
to UDP sockets of this script (one RTP and one RTCP socket per track, on the loopback), which a
thread drains and counts (packets, payload types and SSRCs of the audio). Cases, each with new
phones that are removed (`DELETE .../viewers/{viewer}`) before the next case:

  idle          no phone viewer
  pcmu_1        1 phone: video (payload type 102) + audio transcoded to PCMU (payload type 0)
  pcmu_50       50 such phones (--phones)
  video_50      50 phones, video only: the fan-out without any audio
  aac_50        50 phones, video + the group's AAC as relayed: the fan-out of audio, no transcoding
  pcmu_audio_1  1 phone, PCMU audio only: the transcoder with no video fan-out
  pcmu_audio_50 50 phones, PCMU audio only

A case's phones play for --settle s before the window starts (the GOP cache's burst and the
transcoder's start are not in it). --rounds R repeats the cases R times, interleaved, and reports
the median of each case's rounds.

One line per case and round on stderr; one JSON line on stdout: per case the CPU % (median and every
round), what the phones received (packets/s per phone per track, audio payload types, distinct audio
SSRCs: one SSRC for 50 PCMU phones is one shared transcoder), and the increments: per phone
(pcmu_50 - pcmu_1) / 49, the first phone (pcmu_1 - idle), audio to 50 phones (pcmu_50 - video_50),
transcoding beyond relaying (pcmu_50 - aac_50) and the audio-only pair. Exit 1 when a phone
received nothing on a track it asked for.

Bounded: at most 200 phones a case, --window at most 40 s (phone viewers that send nothing are
dropped after the server's 60 s session timeout), every process waited for with a timeout, and
only the processes this script started are stopped.

usage: bench/phone_transcode_cpu.py [BUILD_DIR] [--phones 50] [--window 10] [--rounds 1]"""
import argparse
import json
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from bench_process import cpu_seconds, stop, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-secret"
MASTER = "13800000001"
MAX_PHONES = 200
VIDEO_PT = 102  # a phone's own number for H.264 (baresip's): one rewritten variant for all
PCMU_PT = 0


def log(text):
    print(text, file=sys.stderr, flush=True)


def api(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path}: {error.code} {error.read().decode()}") from None


class Counter:
    """What one socket received."""

    def __init__(self, kind):
        self.kind = kind  # "video", "audio", "rtcp"
        self.packets = 0
        self.bytes = 0
        self.payload_types = set()
        self.ssrcs = set()


class Drain:
    """Every phone socket of the run, drained by one thread (epoll) and counted."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.running = True
        self.buffer = bytearray(65536)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def open(self, kind):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        counter = Counter(kind)
        with self.lock:
            self.selector.register(sock, selectors.EVENT_READ, counter)
        return sock, counter

    def close(self, sock):
        with self.lock:
            self.selector.unregister(sock)
        sock.close()

    def _run(self):
        view = memoryview(self.buffer)
        while self.running:
            with self.lock:  # never held long: opening a phone's sockets does not wait
                events = self.selector.select(timeout=0)
                for key, _ in events:
                    counter = key.data
                    while True:
                        try:
                            size = key.fileobj.recv_into(view)
                        except (BlockingIOError, OSError):
                            break
                        counter.packets += 1
                        counter.bytes += size
                        if counter.kind == "audio" and size >= 12:
                            counter.payload_types.add(self.buffer[1] & 0x7F)
                            counter.ssrcs.add(bytes(self.buffer[8:12]))
            if not events:
                time.sleep(0.002)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)


class Phone:
    """One phone-style viewer: admitted, then its plain RTP started to sockets of the bench."""

    def __init__(self, base, drain, number, video, audio):
        self.base, self.drain, self.number = base, drain, number
        admitted = api(base, "POST", f"/v1/groups/{MASTER}/viewers", {"viewer": number})
        tracks = {t["media"]: t for t in admitted.get("tracks", [])}
        self.sockets, self.counters, routes = [], {}, []
        for media, mode in (("video", video), ("audio", audio)):
            if not mode:
                continue
            rtp, counter = drain.open(media)
            rtcp, _ = drain.open("rtcp")
            self.sockets += [rtp, rtcp]
            self.counters[media] = counter
            route = {"media": media, "host": "127.0.0.1", "rtp_port": rtp.getsockname()[1],
                     "rtcp_port": rtcp.getsockname()[1]}
            if media == "video":
                route["payload_type"] = VIDEO_PT
            elif mode == "pcmu":
                route.update({"payload_type": PCMU_PT, "transcode_to": "PCMU", "channels": 1})
            else:  # the group's audio as relayed, under the group's own number
                route["payload_type"] = tracks["audio"]["payload_type"]
            routes.append(route)
        api(base, "POST", f"/v1/groups/{MASTER}/phone-viewers",
            {"viewer": number, "signaling_address": "127.0.0.1", "tracks": routes})

    def close(self):
        try:
            api(self.base, "DELETE", f"/v1/groups/{MASTER}/viewers/{self.number}")
        finally:
            for sock in self.sockets:
                self.drain.close(sock)


CASES = {  # name: (phones, video, audio)
    "idle": (0, True, None),
    "pcmu_1": (1, True, "pcmu"),
    "pcmu_N": (None, True, "pcmu"),
    "video_N": (None, True, None),
    "aac_N": (None, True, "aac"),
    "pcmu_audio_1": (1, False, "pcmu"),
    "pcmu_audio_N": (None, False, "pcmu"),
}


def run_case(args, base, drain, server_pid, name, first_number):
    count, video, audio = CASES[name]
    count = args.phones if count is None else count
    phones = [Phone(base, drain, f"139{first_number + i:08d}", video, audio)
              for i in range(count)]
    try:
        time.sleep(args.settle)
        before = {m: [(c.packets, c.bytes) for p in phones for mm, c in p.counters.items()
                      if mm == m] for m in ("video", "audio")}
        cpu0, t0 = cpu_seconds(server_pid), time.monotonic()
        load0 = os.getloadavg()[0]
        time.sleep(args.window)
        cpu1, t1 = cpu_seconds(server_pid), time.monotonic()
        wall = t1 - t0
        result = {"phones": count, "cpu_pct": round(100 * (cpu1 - cpu0) / wall, 2),
                  "load_1min": round((load0 + os.getloadavg()[0]) / 2, 2)}
        starved = 0
        for media in ("video", "audio"):
            counters = [p.counters[media] for p in phones if media in p.counters]
            if not counters:
                continue
            got = [c.packets - b[0] for c, b in zip(counters, before[media])]
            starved += sum(1 for g in got if g == 0)
            result[f"{media}_pkt_s_per_phone"] = round(statistics.mean(got) / wall, 1)
            result[f"{media}_kbit_s_per_phone"] = round(statistics.mean(
                [(c.bytes - b[1]) * 8 / 1000 / wall for c, b in zip(counters, before[media])]), 1)
            if media == "audio":
                result["audio_payload_types"] = sorted(set().union(
                    *[c.payload_types for c in counters]))
                result["audio_ssrcs"] = len(set().union(*[c.ssrcs for c in counters]))
        result["tracks_without_packets"] = starved
        return result
    finally:
        for phone in phones:
            phone.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "dev"))
    parser.add_argument("--phones", type=int, default=50, help="phones in the _N cases")
    parser.add_argument("--window", type=float, default=10, help="s of CPU measured per case")
    parser.add_argument("--settle", type=float, default=3, help="s before each window")
    parser.add_argument("--rounds", type=int, default=1, help="times every case is run")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="which cases (names with _N for --phones)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--bitrate", default="2M")
    parser.add_argument("--keep-dir", action="store_true")
    args = parser.parse_args()
    args.phones = max(2, min(args.phones, MAX_PHONES))
    args.window = max(1.0, min(args.window, 40.0))
    args.settle = max(0.5, min(args.settle, 10.0))
    args.rounds = max(1, min(args.rounds, 10))
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}: {list(CASES)}")
    callcastd = os.path.abspath(os.path.join(args.build_dir, "apps", "callcastd", "callcastd"))
    callcast = os.path.abspath(os.path.join(args.build_dir, "apps", "callcast", "callcast"))
    work = tempfile.mkdtemp(prefix="callcast-phone-cpu-")
    users = os.path.join(work, "users")
    subprocess.run([callcastd, "user", "add", MASTER, "--users", users, "--password", PASSWORD],
                   check=True, stdout=subprocess.DEVNULL)
    processes = []
    drain = Drain()
    try:
        server = subprocess.Popen(
            [callcastd, "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
             "--sip", "127.0.0.1:0", "--users", users, "--log-level", "warn",
             "--forwarding-db", os.path.join(work, "forwarding.sqlite")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(os.path.join(work, "callcastd.log"), "w"), text=True, cwd=work)
        processes.append(server)
        fields = dict(f.split("=", 1) for f in server.stdout.readline().split() if "=" in f)
        if "sip" not in fields:
            raise SystemExit(f"callcastd did not start; see {work}/callcastd.log")
        base = "http://" + fields["http"]
        out = os.path.join(work, "broadcast.out")
        broadcaster = subprocess.Popen(
            [callcast, "broadcast", "--number", MASTER, "--password", PASSWORD, "--server",
             fields["sip"], "--ut-url", base, "--size", args.size, "--fps", "25", "--bitrate",
             args.bitrate, "--keyframe-interval", "2", "--audio-codec", "aac",
             "--log-level", "warn"],
            stdin=subprocess.DEVNULL, stdout=open(out, "w"), stderr=open(out + ".err", "w"))
        processes.append(broadcaster)
        if not wait_for(out, "now forward to the service number", 30, broadcaster):
            raise SystemExit("the broadcast did not go live: " + open(out).read())
        group = api(base, "GET", f"/v1/groups/{MASTER}")
        group_audio = [{"codec": t.get("codec"), "clock_rate": t.get("clock_rate")}
                       for t in group.get("tracks", []) if t.get("media") == "audio"]
        time.sleep(2)
        runs = {name: [] for name in cases}
        number = 1
        for round_index in range(args.rounds):
            for name in cases:
                result = run_case(args, base, drain, server.pid, name, number)
                number += result["phones"]
                runs[name].append(result)
                log(f"round {round_index + 1} {name.replace('_N', f'_{args.phones}'):<14} "
                    f"cpu {result['cpu_pct']:6.2f} %  " +
                    " ".join(f"{k}={v}" for k, v in result.items() if k != "cpu_pct"))
                if broadcaster.poll() is not None:
                    raise SystemExit("the broadcaster ended during the run")

        def cpu(name):
            values = [r["cpu_pct"] for r in runs.get(name, [])]
            return statistics.median(values) if values else None

        def diff(a, b, per=1):
            if cpu(a) is None or cpu(b) is None:
                return None
            return round((cpu(a) - cpu(b)) / per, 3)

        n = args.phones
        report = {}
        for name, results in runs.items():
            last = dict(results[-1])
            last["cpu_pct"] = round(cpu(name), 2)
            last["cpu_pct_rounds"] = [r["cpu_pct"] for r in results]
            report[name.replace("_N", f"_{n}")] = last
        increments = {
            "first_phone_pcmu_pct": diff("pcmu_1", "idle"),
            f"per_phone_pcmu_pct_1_to_{n}": diff("pcmu_N", "pcmu_1", n - 1),
            f"per_phone_video_only_pct_0_to_{n}": diff("video_N", "idle", n),
            f"audio_to_{n}_phones_pct (pcmu_{n} - video_{n})": diff("pcmu_N", "video_N"),
            f"transcoding_beyond_relay_pct (pcmu_{n} - aac_{n})": diff("pcmu_N", "aac_N"),
            f"aac_relayed_to_{n}_phones_pct (aac_{n} - video_{n})": diff("aac_N", "video_N"),
            "transcoder_audio_only_1_pct (pcmu_audio_1 - idle)": diff("pcmu_audio_1", "idle"),
            f"per_phone_pcmu_audio_only_pct_1_to_{n}": diff("pcmu_audio_N", "pcmu_audio_1",
                                                            n - 1),
        }
        bad = [name for name, results in runs.items()
               if any(r.get("tracks_without_packets") for r in results)]
        print(json.dumps({
            "bench": "phone_transcode_cpu", "cores": os.cpu_count(), "phones": n,
            "window_s": args.window, "settle_s": args.settle, "rounds": args.rounds,
            "stream": f"callcast broadcast {args.size} 25 fps {args.bitrate} H.264 keyframe every "
                      "2 s + AAC", "group_audio": group_audio,
            "measure": "callcastd utime+stime over the window, % of one core (median of rounds)",
            "cases": report, "increments": {k: v for k, v in increments.items()
                                            if v is not None},
            "cases_with_silent_tracks": bad}))
        return 1 if bad else 0
    finally:
        for p in reversed(processes):
            stop(p)
        drain.stop()
        if args.keep_dir:
            log(f"phone_transcode_cpu: scratch directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
