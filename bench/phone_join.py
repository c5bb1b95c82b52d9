#!/usr/bin/env python3
"""Phone join time: how long a standard SIP phone waits for its first picture (issue 13, "Measured").

Starts callcastd (every port chosen by the OS; users file, forwarding database and logs in a
scratch directory removed at the end unless --keep-dir), then one `callcast broadcast` (1280x720
25 fps 2 Mbit/s H.264, a keyframe every 2 s, AAC tone), and then, taking turns in the same run:

- a phone join: Debian's baresip (headless as in tests/support/baresip_phone.cpp: fakevideo
  display, audio into its bridge) started with `-e "/dial <broadcaster>"`. Its stdout is read
  through a pipe and each line stamped on arrival (monotonic clock): from `call: connecting to`
  (printed as its INVITE leaves; module loading before it is not counted) to `video: receiving
  with resolution` (printed once its decoder has given the first picture). It takes the video
  as relayed and the group's AAC transcoded to PCMU (the first codec it offers). It is then
  stopped with SIGINT (it hangs up with a BYE).
- a terminal join: `callcast watch <broadcaster> --duration 2 --stats-json F`: its own `join_ms`
  (INVITE sent to first decoded video frame, one monotonic clock).

Joins are sequential (one viewer at a time), --interval s apart, the order of the pair swapped
every round, so that both kinds see the same load and land at every point of the GOP.

Prints one line per join on stderr and one JSON line on stdout:
{"phone": {"median_ms", "p90_ms", "n", ...}, "terminal": {...}, ...}. Exit 1 when a join failed.
Bounded: at most --joins per kind (200 at most), no join starts after --time-limit s, every process
waited for with a timeout; it stops only the processes it started (by their handle).

usage: bench/phone_join.py [BUILD_DIR] [--joins 20] [--interval 0.37] [--keep-dir]"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_process import join_summary as summary, quantile, stop, terminal_join, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-secret"
MASTER = "13800000001"
PHONE = "13900000001"
TERMINAL = "13900000002"
MAX_JOINS = 200
GOAL_P90_MS = 300
BARESIP_MODULES = "/usr/lib/baresip/modules"


def log(text):
    print(text, file=sys.stderr, flush=True)


def api(base, method, path):
    request = urllib.request.Request(base + path, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
        return json.loads(text) if text else None



def free_udp_port():
    """A free loopback UDP port for the phone's SIP (taken by baresip right after)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
    finally:
        probe.close()


def write_phone_config(directory, sip_domain):
    """baresip's config as the e2e tests write it (tests/support/baresip_phone.cpp), viewer side:
    no sound card, no window, nothing of its own to send."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config"), "w") as config:
        config.write(
            f"sip_listen 127.0.0.1:{free_udp_port()}\n"
            f"module_path {BARESIP_MODULES}\n"
            "module g711.so\nmodule opus.so\nmodule avcodec.so\nmodule avformat.so\n"
            "module fakevideo.so\nmodule aubridge.so\nmodule ausine.so\nmodule account.so\n"
            "module_app menu.so\n"
            "audio_player aubridge,nil\nvideo_display fakevideo,nil\nrtcp_mux no\n"
            "video_source fakevideo,nil\naudio_source aubridge,nil\n")
    with open(os.path.join(directory, "accounts"), "w") as accounts:
        accounts.write(f"<sip:{PHONE}@{sip_domain};transport=udp>;auth_pass={PASSWORD};"
                       "regint=0\n")
    open(os.path.join(directory, "contacts"), "w").close()


class PhoneJoin:
    """One baresip that dials the broadcaster; its stdout lines stamped as they arrive."""

    MARKS = {"invite": "call: connecting to", "established": "Call established",
             "picture": "video: receiving with resolution",
             "decoder": "Set video decoder", "answer_applied": "stream: update 'video'"}

    def __init__(self, directory, sip_domain, log_path, quit_after_s):
        write_phone_config(directory, sip_domain)  # a new SIP port each time
        self.stamps = {}
        self.decode_errors = 0  # "H264 decode error" lines before the first picture
        self.resolution = None
        self.picture = threading.Event()
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            ["baresip", "-f", directory, "-t", str(quit_after_s), "-e",
             f"/dial sip:{MASTER}@{sip_domain}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            now = time.monotonic()
            self.log.write(f"{now:.6f} {line}")
            if "H264 decode error" in line and "picture" not in self.stamps:
                self.decode_errors += 1
            for mark, text in self.MARKS.items():
                if mark not in self.stamps and text in line:
                    self.stamps[mark] = now
                    if mark == "picture":
                        self.resolution = line.split("resolution", 1)[1].strip()
                        self.picture.set()
        self.picture.set()  # ended: nothing more will come

    def early_decoder(self):
        """Whether its video decoder was set up by RTP that came before it applied the answer's
        SDP (baresip sets it up again then)."""
        decoder, applied = self.stamps.get("decoder"), self.stamps.get("answer_applied")
        return decoder is not None and applied is not None and decoder < applied

    def finish(self, timeout):
        """(join ms or None, answer ms or None); the phone hung up and ended."""
        self.picture.wait(timeout)
        stop(self.process, 8)
        self.reader.join(timeout=5)
        self.log.close()
        invite = self.stamps.get("invite")
        picture = self.stamps.get("picture")
        established = self.stamps.get("established")
        join = (picture - invite) * 1000 if invite and picture else None
        answer = (established - invite) * 1000 if invite and established else None
        return join, answer



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "dev"))
    parser.add_argument("--joins", type=int, default=20, help="joins per kind (phone, terminal)")
    parser.add_argument("--interval", type=float, default=0.37,
                        help="s between two joins (0.37: spread over the 2 s GOP)")
    parser.add_argument("--duration", type=int, default=2, help="s each callcast watch plays")
    parser.add_argument("--picture-timeout", type=float, default=10,
                        help="s a phone may take to show a picture before its join counts failed")
    parser.add_argument("--time-limit", type=float, default=600,
                        help="s after which no join starts")
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the scratch directory (logs, baresip output, stats)")
    args = parser.parse_args()
    args.joins = max(1, min(args.joins, MAX_JOINS))
    if shutil.which("baresip") is None or not os.path.exists(
            os.path.join(BARESIP_MODULES, "avcodec.so")):
        log("phone_join: needs baresip and baresip-ffmpeg (apt-get install baresip baresip-ffmpeg)")
        return 2
    callcastd = os.path.abspath(os.path.join(args.build_dir, "apps", "callcastd", "callcastd"))
    callcast = os.path.abspath(os.path.join(args.build_dir, "apps", "callcast", "callcast"))
    deadline = time.time() + args.time_limit
    work = tempfile.mkdtemp(prefix="callcast-phone-join-")
    users = os.path.join(work, "users")
    for number in (MASTER, PHONE, TERMINAL):
        subprocess.run([callcastd, "user", "add", number, "--users", users, "--password",
                        PASSWORD], check=True, stdout=subprocess.DEVNULL)
    processes = []
    try:
        server = subprocess.Popen(
            [callcastd, "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
             "--sip", "127.0.0.1:0", "--users", users,
             "--forwarding-db", os.path.join(work, "forwarding.sqlite")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(os.path.join(work, "callcastd.log"), "w"), text=True, cwd=work)
        processes.append(server)
        fields = dict(f.split("=", 1) for f in server.stdout.readline().split() if "=" in f)
        if "sip" not in fields:
            raise SystemExit(f"callcastd did not start; see {work}/callcastd.log")
        base = "http://" + fields["http"]
        sip_domain = fields["sip"]
        account = ["--password", PASSWORD, "--server", sip_domain]
        out = os.path.join(work, "broadcast.out")
        broadcaster = subprocess.Popen(
            [callcast, "broadcast", "--number", MASTER, *account, "--ut-url", base, "--size",
             "1280x720", "--fps", "25", "--bitrate", "2M", "--keyframe-interval", "2",
             "--log-level", "warn"],
            stdin=subprocess.DEVNULL, stdout=open(out, "w"), stderr=open(out + ".err", "w"))
        processes.append(broadcaster)
        if not wait_for(out, "now forward to the service number", 30, broadcaster):
            raise SystemExit("the broadcast did not go live: " + open(out).read())
        time.sleep(1)

        phone_joins, phone_answers, phone_failed = [], [], 0
        clean_joins, erred_joins, early_decoder_joins = [], [], 0
        terminal_joins, terminal_failed = [], 0
        resolutions = set()
        for index in range(args.joins):
            if time.time() > deadline:
                log(f"phone_join: time limit reached after {index} rounds")
                break
            order = ("phone", "terminal") if index % 2 == 0 else ("terminal", "phone")
            for kind in order:
                if kind == "phone":
                    phone = PhoneJoin(os.path.join(work, "baresip"), sip_domain,
                                      os.path.join(work, f"baresip-{index}.log"),
                                      int(args.picture_timeout) + 5)
                    join, answer = phone.finish(args.picture_timeout)
                    if join is None:
                        phone_failed += 1
                        log(f"  phone {index}: no picture, see baresip-{index}.log")
                    else:
                        phone_joins.append(join)
                        (erred_joins if phone.decode_errors else clean_joins).append(join)
                        early_decoder_joins += phone.early_decoder()
                        resolutions.add(phone.resolution)
                        if answer is not None:
                            phone_answers.append(answer)
                        log(f"  phone    {index:>3}: join {join:7.1f} ms (200 OK after "
                            f"{answer if answer is None else round(answer, 1)} ms, "
                            f"{phone.decode_errors} decode errors before the picture, decoder "
                            f"set up {'before' if phone.early_decoder() else 'after'} the "
                            "answer was applied)")
                else:
                    join, log_path = terminal_join(callcast, MASTER, TERMINAL, account, work, index,
                                               args.duration)
                    if join is None:
                        terminal_failed += 1
                        log(f"  terminal {index}: join failed, see {log_path}")
                    else:
                        terminal_joins.append(join)
                        log(f"  terminal {index:>3}: join {join:7.1f} ms")
                time.sleep(args.interval)

        groups = api(base, "GET", "/v1/groups").get("groups") or []
        viewers_left = sum(len(g.get("viewers") or []) for g in groups)
        phone = summary(phone_joins, phone_failed)
        if phone_answers:
            phone["answer_median_ms"] = round(statistics.median(phone_answers), 1)
        phone["resolutions"] = sorted(r for r in resolutions if r)
        # Joins whose decoder failed on what came first ("non-existing PPS"), and so waited for
        # a later keyframe, apart from the others.
        phone["joins_without_decode_errors"] = summary(clean_joins, 0)
        phone["joins_with_decode_errors"] = summary(erred_joins, 0)
        phone["joins_decoder_set_up_before_answer"] = early_decoder_joins
        result = {
            "bench": "phone_join", "cores": os.cpu_count(), "joins_per_kind": args.joins,
            "interval_s": args.interval,
            "stream": "callcast broadcast 1280x720 25 fps 2 Mbit/s H.264, keyframe every 2 s, "
                      "AAC (PCMU to the phone, transcoded)",
            "phone": phone, "terminal": summary(terminal_joins, terminal_failed),
            "phone_measure": "baresip 'call: connecting to' (INVITE leaves) to 'video: receiving "
                             "with resolution' (first decoded picture), lines stamped on arrival",
            "terminal_measure": "callcast watch --stats-json join_ms (INVITE sent to first "
                                "decoded video frame)",
            "goal_phone_p90_ms": GOAL_P90_MS,
            "goal_met": bool(phone_joins) and quantile(phone_joins, 0.9) < GOAL_P90_MS,
            "viewers_left": viewers_left}
        print(json.dumps(result))
        return 0 if not phone_failed and not terminal_failed and phone_joins else 1
    finally:
        for p in reversed(processes):
            stop(p)
        if args.keep_dir:
            log(f"phone_join: scratch directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
