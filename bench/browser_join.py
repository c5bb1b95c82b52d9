#!/usr/bin/env python3
"""Browser join time: click on Watch to the first decoded frame (issue 14, "Measured").

Starts callcastd (every port chosen by the OS; users file, forwarding database and logs in a
scratch directory removed at the end unless --keep-dir), then one `callcast broadcast` (1280x720
25 fps 2 Mbit/s H.264, a keyframe every 2 s, AAC tone: Opus to the browsers, transcoded), and
then, taking turns in the same run:

- a browser join: tests/browser/watch.mjs (headless Debian Chromium, the /watch page, WHEP by
  number with a users-file login): its `join_ms`, from the click on Watch to the first
  inbound-rtp framesDecoded > 0 (the page's getStats, polled every 50 ms: up to 50 ms late).
  The offer is posted at once (no wait for ICE gathering: the server is ICE-lite).
- a terminal join: `callcast watch <broadcaster> --duration 2 --stats-json F`: its `join_ms`.

Joins are sequential, --interval s apart, the order of the pair swapped every round. Prints one
line per join on stderr and one JSON line on stdout. Exit 1 when a join failed. Bounded: at most
--joins per kind (100 at most), no join starts after --time-limit s, every process waited for
with a timeout; it stops only the processes it started.

usage: bench/browser_join.py [BUILD_DIR] [--joins 10] [--interval 0.37] [--keep-dir]"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench_process import join_summary as summary, quantile, stop, terminal_join, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-secret"
MASTER = "13800000001"
BROWSER = "13900000001"
TERMINAL = "13900000002"
MAX_JOINS = 100
GOAL_P90_MS = 500


def log(text):
    print(text, file=sys.stderr, flush=True)



def browser_join(base, work, index):
    out_path = os.path.join(work, f"browser-{index}.json")
    process = subprocess.Popen(
        ["node", os.path.join(ROOT, "tests", "browser", "watch.mjs"), "--base", base,
         "--number", MASTER, "--user", BROWSER, "--password", PASSWORD, "--seconds", "1"],
        stdin=subprocess.DEVNULL, stdout=open(out_path, "w"),
        stderr=open(out_path + ".err", "w"))
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stop(process)
    try:
        result = json.loads(open(out_path).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        result = {}
    return (result.get("join_ms") if result.get("ok") else None), out_path



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "dev"))
    parser.add_argument("--joins", type=int, default=10, help="joins per kind (browser, terminal)")
    parser.add_argument("--interval", type=float, default=0.37,
                        help="s between two joins (0.37: spread over the 2 s GOP)")
    parser.add_argument("--duration", type=int, default=2, help="s each callcast watch plays")
    parser.add_argument("--time-limit", type=float, default=600,
                        help="s after which no join starts")
    parser.add_argument("--keep-dir", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    args.joins = max(1, min(args.joins, MAX_JOINS))
    if shutil.which("node") is None or not os.path.exists("/usr/bin/chromium") or \
            not os.path.isdir(os.path.join(ROOT, "web", "dist")):
        log("browser_join: needs node, Debian's chromium and the built pages (make deps web)")
        return 2
    callcastd = os.path.abspath(os.path.join(args.build_dir, "apps", "callcastd", "callcastd"))
    callcast = os.path.abspath(os.path.join(args.build_dir, "apps", "callcast", "callcast"))
    deadline = time.time() + args.time_limit
    work = tempfile.mkdtemp(prefix="callcast-browser-join-")
    users = os.path.join(work, "users")
    for number in (MASTER, BROWSER, TERMINAL):
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
        account = ["--password", PASSWORD, "--server", fields["sip"]]
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

        browser_joins, browser_failed = [], 0
        terminal_joins, terminal_failed = [], 0
        for index in range(args.joins):
            if time.time() > deadline:
                log(f"browser_join: time limit reached after {index} rounds")
                break
            order = ("browser", "terminal") if index % 2 == 0 else ("terminal", "browser")
            for kind in order:
                if kind == "browser":
                    join, path = browser_join(base, work, index)
                    if join is None:
                        browser_failed += 1
                        log(f"  browser  {index}: no picture, see {path}")
                    else:
                        browser_joins.append(join)
                        log(f"  browser  {index:>3}: join {join:7.1f} ms")
                else:
                    join, path = terminal_join(callcast, MASTER, TERMINAL, account, work, index,
                                               args.duration)
                    if join is None:
                        terminal_failed += 1
                        log(f"  terminal {index}: join failed, see {path}")
                    else:
                        terminal_joins.append(join)
                        log(f"  terminal {index:>3}: join {join:7.1f} ms")
                time.sleep(args.interval)
        result = {
            "bench": "browser_join", "cores": os.cpu_count(), "joins_per_kind": args.joins,
            "interval_s": args.interval,
            "stream": "callcast broadcast 1280x720 25 fps 2 Mbit/s H.264, keyframe every 2 s, "
                      "AAC (Opus to the browser, transcoded)",
            "browser": summary(browser_joins, browser_failed),
            "terminal": summary(terminal_joins, terminal_failed),
            "browser_measure": "watch.mjs join_ms: click on Watch to the first framesDecoded > 0 "
                               "(getStats every 50 ms), ICE gathering and WHEP POST included",
            "terminal_measure": "callcast watch --stats-json join_ms (INVITE sent to first "
                                "decoded video frame)",
            "goal_browser_p90_ms": GOAL_P90_MS,
            "goal_met": bool(browser_joins) and quantile(browser_joins, 0.9) < GOAL_P90_MS}
        print(json.dumps(result))
        return 0 if not browser_failed and not terminal_failed and browser_joins else 1
    finally:
        for p in reversed(processes):
            stop(p)
        if args.keep_dir:
            log(f"browser_join: scratch directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
