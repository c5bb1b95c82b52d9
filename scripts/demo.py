#!/usr/bin/env python3
"""make demo: the streaming-server half of the patent's flow, with ffmpeg standing in for the
terminals (the terminal issue replaces it with callcast's own).

Starts callcastd, creates a group through the control API (702-703), publishes a test pattern
with a burnt-in clock and a tone over RTSP/TCP (705), admits three viewers (711-712) that play
over UDP (709, 714) and record 10 s each (one joins 5 s late), then prints a summary per viewer
and writes recordings, a PNG frame of each and summary.json under demo-out/.
Stops every process it started; exits non-zero if any step failed."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

MASTER = "13800000001"
VIEWERS = [("13900000002", 0.0), ("13900000003", 0.0), ("13900000004", 5.0)]
RECORD_SECONDS = 10
FPS = 25
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "demo-out")
started = []  # every process this script started, stopped at the end by PID
print_lock = threading.Lock()  # viewer threads report too


def say(step, text):
    with print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {('step ' + str(step)) if step else '       '} "
              f"{text}", flush=True)


def start(args, **kwargs):
    process = subprocess.Popen(args, **kwargs)
    started.append(process)
    return process


def stop_all():
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.time() + 5
    for process in started:
        try:
            process.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def api(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, (json.loads(text) if text else None)


def ffprobe_json(args):
    result = subprocess.run(["ffprobe", "-v", "error", "-of", "json"] + args,
                            capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout or "{}")


class ViewerRun:
    def __init__(self, number, delay, play_url):
        self.number, self.delay, self.play_url = number, delay, play_url
        self.path = os.path.join(OUT, f"viewer-{number}.mkv")
        self.png = os.path.join(OUT, f"viewer-{number}.png")
        self.join_s = None
        self.exit_code = None
        self.thread = threading.Thread(target=self.run)

    def run(self):
        time.sleep(self.delay)
        say(714, f"viewer {self.number} plays its URL over UDP and records {RECORD_SECONDS} s")
        t0 = time.time()
        process = start(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                         "-rtsp_transport", "udp", "-i", self.play_url, "-t", str(RECORD_SECONDS),
                         "-c", "copy", "-y", "-progress", "pipe:1", "-stats_period", "0.05",
                         self.path], stdout=subprocess.PIPE, text=True)
        for line in process.stdout:
            if line.startswith("frame=") and self.join_s is None and int(line[6:]) > 0:
                self.join_s = time.time() - t0
                say(714, f"viewer {self.number}: first frame after {self.join_s * 1000:.0f} ms")
        self.exit_code = process.wait(timeout=RECORD_SECONDS + 30)


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "dev")
    callcastd = os.path.join(build_dir, "apps", "callcastd", "callcastd")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    failures = []

    say(0, "starting callcastd (ports chosen by the OS so nothing else is disturbed)")
    server_log = open(os.path.join(OUT, "callcastd.log"), "w")
    server = start([callcastd, "--rtsp", "127.0.0.1:0", "--http", "127.0.0.1:0",
                    "--rtp-ports", "0-0", "--sip", "127.0.0.1:0",
                    "--users", os.path.join(OUT, "users"),
                    "--forwarding-db", os.path.join(OUT, "forwarding.sqlite")],
                   stdout=subprocess.PIPE, stderr=server_log, text=True)
    ready = server.stdout.readline().split()
    fields = dict(item.split("=", 1) for item in ready if "=" in item)
    if "http" not in fields:
        raise SystemExit("callcastd did not start; see demo-out/callcastd.log")
    base = "http://" + fields["http"]
    say(0, f"callcastd ready: RTSP {fields['rtsp']}, RTP/RTCP UDP {fields['rtp']}, API {base}")

    say(701, f"master {MASTER} asks for a broadcast (here: the control API stands in for SIP)")
    status, created = api(base, "POST", "/v1/groups", {"master": MASTER})
    if status != 201:
        raise SystemExit(f"create group failed: {status} {created}")
    say(703, f"group {created['group']} created, waiting for its master")
    say(704, f"publish URL: {created['publish_url'][:60]}...")

    clock = ("drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:"
             "text='callcast %{localtime\\:%H\\\\\\:%M\\\\\\:%S} frame %{n}':"
             "x=20:y=20:fontsize=36:fontcolor=white:box=1:boxcolor=black@0.6")
    publisher = start(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                       "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={FPS}",
                       "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                       "-vf", clock, "-c:v", "libx264", "-preset", "ultrafast",
                       "-tune", "zerolatency", "-g", str(FPS), "-b:v", "2M",
                       "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k",
                       "-f", "rtsp", "-rtsp_transport", "tcp", created["publish_url"]],
                      stderr=open(os.path.join(OUT, "publisher.log"), "w"))
    say(705, "master (ffmpeg) connects over TCP: ANNOUNCE, SETUP mode=record, RECORD")
    deadline = time.time() + 15
    while time.time() < deadline:
        status, group = api(base, "GET", f"/v1/groups/{MASTER}")
        if status == 200 and group["state"] == "live" and any(
                t["packets"] > 0 for t in group["tracks"]):
            break
        if publisher.poll() is not None:
            raise SystemExit("the publisher exited; see demo-out/publisher.log")
        time.sleep(0.2)
    else:
        raise SystemExit("the group did not go live within 15 s")
    say(706, "server reports master_joined; the group is live")
    say(708, "master streams H.264 1280x720 25 fps + AAC over RTSP/TCP")

    runs = []
    for number, delay in VIEWERS:
        status, admitted = api(base, "POST", f"/v1/groups/{MASTER}/viewers", {"viewer": number})
        if status != 201:
            raise SystemExit(f"admit {number} failed: {status} {admitted}")
        say(712, f"viewer {number} admitted" + (f" (joins {delay:.0f} s late)" if delay else ""))
        runs.append(ViewerRun(number, delay, admitted["play_url"]))
    for run in runs:
        run.thread.start()

    time.sleep(VIEWERS[-1][1] + 3.5)  # all three playing: take the server's view
    status, group = api(base, "GET", f"/v1/groups/{MASTER}")
    stats = {v["viewer"]: v for v in group.get("viewers", [])} if status == 200 else {}
    for run in runs:
        run.thread.join(timeout=RECORD_SECONDS + 40)

    say(0, "closing the group: viewers get RTCP BYE")
    api(base, "DELETE", f"/v1/groups/{MASTER}")
    status, listing = api(base, "GET", "/v1/groups")
    if listing.get("groups"):
        failures.append("groups left after DELETE")

    summary = {"group": MASTER, "fps": FPS, "record_seconds": RECORD_SECONDS, "viewers": []}
    print()
    print(f"{'viewer':<13} {'1st frame':>9} {'frames':>7} {'expected':>8} {'audio':>6} "
          f"{'lost(RTCP)':>10} {'sent':>7}  recording")
    for run in runs:
        probe = ffprobe_json(["-count_frames", "-show_streams", run.path]) if os.path.exists(
            run.path) else {}
        streams = probe.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), {})
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        frames = int(video.get("nb_read_frames", 0) or 0)
        expected = FPS * RECORD_SECONDS
        if frames:
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "2", "-i", run.path,
                            "-frames:v", "1", run.png], timeout=30)
        server_view = stats.get(run.number, {})
        reception = server_view.get("reception") or {}
        row = {"viewer": run.number, "joined_late_s": run.delay,
               "join_ms": round(run.join_s * 1000) if run.join_s else None,
               "frames": frames, "expected_frames": expected, "audio": audio is not None,
               "codec": video.get("codec_name"), "width": video.get("width"),
               "height": video.get("height"), "rtcp_cumulative_lost": reception.get(
                   "cumulative_lost"), "packets_sent": server_view.get("packets_sent"),
               "recording": os.path.relpath(run.path, ROOT),
               "frame_png": os.path.relpath(run.png, ROOT) if os.path.exists(run.png) else None}
        summary["viewers"].append(row)
        print(f"{run.number:<13} {row['join_ms'] or '-':>9} {frames:>7} {expected:>8} "
              f"{'yes' if audio else 'no':>6} {str(row['rtcp_cumulative_lost']):>10} "
              f"{str(row['packets_sent']):>7}  {row['recording']}")
        if frames < 0.9 * expected:
            failures.append(f"viewer {run.number} decoded {frames} of {expected} frames")
        if audio is None:
            failures.append(f"viewer {run.number} has no audio")
        if run.exit_code not in (0, 255):
            failures.append(f"viewer {run.number}'s ffmpeg exited {run.exit_code}")
    summary["failures"] = failures
    with open(os.path.join(OUT, "summary.json"), "w") as out:
        json.dump(summary, out, indent=2)
    print()
    print("wrote demo-out/summary.json, recordings and PNG frames under demo-out/")
    if failures:
        print("DEMO FAILED: " + "; ".join(failures))
        return 1
    print("demo OK: three viewers received the broadcast")
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except SystemExit as error:
        print(f"DEMO FAILED: {error}", file=sys.stderr)
        code = 1
    finally:
        stop_all()
    sys.exit(code)
