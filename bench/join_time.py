#!/usr/bin/env python3
"""Join time: from the server answering a viewer's PLAY to that viewer's first decoded frame.

Starts callcastd (every port chosen by the OS, SIP included: a benchmark never takes 5060 from a
server that runs on the machine; its files in a scratch directory that is removed at the end,
never in the working directory) and an ffmpeg publisher (720p25 H.264 + AAC, keyframe
every 2 s), then N times: admits a viewer, runs `ffmpeg -rtsp_transport udp -i URL -f null -`
(a decoding player with default settings), and takes the time of its first decoded frame
(ffmpeg's -progress output) minus the time callcastd logged the PLAY (same clock, ms). Also
reports the server's CPU and RSS while 3 viewers play. Prints one JSON line.

usage: bench/join_time.py [BUILD_DIR] [--joins N] [--keep-dir]"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def api(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir", nargs="?", default=os.path.join(ROOT, "build", "dev"))
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--keep-dir", action="store_true",
                        help="keep the scratch directory (server log, forwarding database)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="callcast-join-")
    log_path = os.path.join(work, "callcastd.log")
    processes = []
    try:
        server = subprocess.Popen(
            [os.path.abspath(os.path.join(args.build_dir, "apps", "callcastd", "callcastd")),
             "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--rtp-ports", "0-0",
             "--sip", "127.0.0.1:0", "--users", os.path.join(work, "users"),
             "--forwarding-db", os.path.join(work, "forwarding.sqlite")],
            stdout=subprocess.PIPE, stderr=open(log_path, "w"), text=True, cwd=work)
        processes.append(server)
        fields = dict(f.split("=", 1) for f in server.stdout.readline().split() if "=" in f)
        base = "http://" + fields["http"]
        group = api(base, "POST", "/v1/groups", {"master": "13800000001"})
        publisher = subprocess.Popen(
            ["ffmpeg", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i",
             "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
             "-b:v", "2M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "rtsp",
             "-rtsp_transport", "tcp", group["publish_url"]])
        processes.append(publisher)
        time.sleep(3)
        joins = []
        for i in range(args.joins):
            viewer = f"1390000{i:04d}"
            url = api(base, "POST", "/v1/groups/13800000001/viewers", {"viewer": viewer})["play_url"]
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
        # CPU and RSS of the server with three viewers playing.
        players = []
        for i in range(3):
            url = api(base, "POST", "/v1/groups/13800000001/viewers",
                      {"viewer": f"1391000{i:04d}"})["play_url"]
            players.append(subprocess.Popen(
                ["ffmpeg", "-loglevel", "error", "-nostdin", "-rtsp_transport", "udp", "-i", url,
                 "-t", "14", "-c", "copy", "-f", "null", "-"]))
        processes.extend(players)
        time.sleep(3)
        cpu0, t0 = cpu_seconds(server.pid), time.time()
        time.sleep(10)
        cpu_percent = 100 * (cpu_seconds(server.pid) - cpu0) / (time.time() - t0)
        rss = rss_kib(server.pid)
        for p in players:
            p.wait(timeout=30)
        joins.sort()
        print(json.dumps({
            "joins": len(joins),
            "play_to_first_decoded_frame_ms_median": round(statistics.median(joins), 1),
            "play_to_first_decoded_frame_ms_p90": round(joins[int(0.9 * (len(joins) - 1))], 1),
            "play_to_first_decoded_frame_ms_all": [round(j) for j in joins],
            "server_cpu_percent_3_viewers": round(cpu_percent, 2),
            "server_rss_kib_3_viewers": rss,
            "stream": "1280x720 25fps H.264 2 Mbit/s GOP 2 s + AAC, ffmpeg 5.1 players over UDP",
        }))
        return 0
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
        for p in processes:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        if args.keep_dir:
            print(f"join_time: scratch directory {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
