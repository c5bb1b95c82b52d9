#!/usr/bin/env python3
"""make demo: the whole system of the patent, end to end, with callcast's own parts.

Starts callcastd (network side + streaming server) with demo users, then one broadcaster,
`callcast broadcast`, which calls the service number 777 (701), publishes a 1280x720 test
pattern with a running clock and a tone over RTSP/TCP (704-708) and forwards its number to the
service; then three viewers, `callcast watch`, call the broadcaster's number (710-713), play it
over RTSP/UDP (714) and record 10 s each; the third joins 5 s late; beside them a standard SIP
phone, Debian's baresip, calls the broadcaster's number too and plays the broadcast over plain
RTP (issue 13); and a browser, headless Chromium on the /watch page, watches the number over
WebRTC (WHEP, issue 14) and leaves a screenshot, as the operator console (/) does of the group.
The terminals' own step lines
are shown as they happen. At the end: a summary per viewer (join time, frames, loss,
glass-to-glass latency), and under demo-out/ the recordings, a PNG frame of each and
summary.json. While the viewers watch, callcastd's Prometheus series are scraped from
http://127.0.0.1:8080/metrics (the default HTTP port, when it is free) into demo-out/metrics.txt
and checked: every series the README lists for a process running both roles. Stops every process
it started; exits non-zero if any step failed."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

MASTER = "13800000001"
VIEWERS = [("13900000002", 0.0), ("13900000003", 0.0), ("13900000004", 5.0)]
PHONE = "13900000005"  # a baresip phone watching beside the terminals
# The phone and the two headless Chromiums (the /watch page and the console) run beside the
# recorded terminals at a lower CPU priority, and the terminals call once the browser's call is
# in: on a 2-core machine Chromium's start-up took the CPU from the terminals' decoders for up to
# 0.7 s at a time, which their 200 ms jitter buffers counted as late packets and their
# recordings as lost pictures (`make demo` failed 2 runs in 5 that way).
BESIDE_NICE = 10
BROWSER = "13900000006"  # headless Chromium watching through the /watch page (WHEP)
PASSWORD = "demo-secret"
RECORD_SECONDS = 10
FPS = 25
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "demo-out")
started = []  # every process this script started, stopped at the end by PID
print_lock = threading.Lock()  # the terminals' output threads print too


def say(who, text):
    with print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {who:<20} {text}", flush=True)


def start(args, nice=0, **kwargs):
    """Starts a process of the demo (stopped by stop_all); `nice` > 0 lowers its CPU priority."""
    if nice:
        kwargs["preexec_fn"] = lambda: os.nice(nice)
    process = subprocess.Popen(args, **kwargs)
    started.append(process)
    return process


def log_shows(path, text, timeout):
    """True once the file at `path` holds `text` (polled for up to `timeout` seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as log:
            if text in log.read():
                return True
        time.sleep(0.2)
    return False


def stop_all():
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.time() + 8
    for process in started:
        try:
            process.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_listen_address():
    """127.0.0.1:8080, callcastd's default, so `curl -s localhost:8080/metrics` works during the
    demo; a port the OS picks when something else holds 8080."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("127.0.0.1", 8080))
        return "127.0.0.1:8080"
    except OSError:
        return "127.0.0.1:0"
    finally:
        probe.close()


def readme_series():
    """The series the README's metrics table documents, except the signaling role's client of
    the media role's API (`callcast_media_api_*`), which a process running both roles has not."""
    with open(os.path.join(ROOT, "README.md")) as readme:
        names = re.findall(r"^\| `(callcast_[a-z_]+)` \|", readme.read(), re.M)
    return [name for name in names if not name.startswith("callcast_media_api_")]


def scrape_metrics(base):
    """GET /metrics into demo-out/metrics.txt; returns the series missing from it."""
    with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
        text = response.read().decode()
    with open(os.path.join(OUT, "metrics.txt"), "w") as out:
        out.write(text)
    declared = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    return [name for name in readme_series() if name not in declared], text


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, None


def ffprobe_json(args):
    result = subprocess.run(["ffprobe", "-v", "error", "-of", "json"] + args,
                            capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout or "{}")


class Terminal:
    """One `callcast` process; its output lines are echoed with its name and kept."""

    def __init__(self, name, args):
        self.name = name
        self.lines = []
        files = name.replace(" ", "-")
        self.stats_path = os.path.join(OUT, f"{files}.stats.json")
        self.process = start(args + ["--stats-json", self.stats_path, "--log-level", "info"],
                             stdout=subprocess.PIPE,
                             stderr=open(os.path.join(OUT, f"{files}.log"), "w"), text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if not line.startswith("status:"):
                say(self.name, line)

    def wait_for(self, text, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.process.poll() is not None:
                self.reader.join(timeout=2)
                return any(text in line for line in self.lines)
            time.sleep(0.1)
        return False

    def stats(self):
        try:
            with open(self.stats_path) as stats:
                return json.load(stats)
        except (OSError, ValueError):
            return {}


class Phone:
    """baresip, headless (no sound card, no window), calling the broadcaster's number; what it
    prints is kept with the time each line came."""

    def __init__(self, sip, seconds):
        self.dir = os.path.join(OUT, "phone")
        os.makedirs(self.dir)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with open(os.path.join(self.dir, "config"), "w") as config:
            config.write(f"sip_listen 127.0.0.1:{port}\nmodule_path /usr/lib/baresip/modules\n"
                         "module g711.so\nmodule opus.so\nmodule avcodec.so\n"
                         "module fakevideo.so\nmodule aubridge.so\nmodule account.so\n"
                         "module_app menu.so\n"
                         "audio_player aubridge,nil\naudio_source aubridge,nil\n"
                         "video_display fakevideo,nil\nvideo_source fakevideo,nil\n")
        with open(os.path.join(self.dir, "accounts"), "w") as accounts:
            accounts.write(f"<sip:{PHONE}@{sip};transport=udp>;auth_pass={PASSWORD};regint=0\n")
        open(os.path.join(self.dir, "contacts"), "w").close()
        self.lines = []
        self.process = start(nice=BESIDE_NICE,
                             args=["baresip", "-f", self.dir, "-t", str(seconds), "-e",
                                   f"/dial sip:{MASTER}@{sip}"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(os.path.join(self.dir, "stdout.log"), "w") as log:
            for line in self.process.stdout:
                line = line.rstrip("\n")
                self.lines.append((time.time(), line))
                log.write(line + "\n")
                for shown in ("Call established", "receiving with resolution",
                              "incoming rtp for 'audio' established", "terminated"):
                    if shown in line:
                        say(f"phone {PHONE}", line.split(": ", 1)[-1] if "video:" in line
                            else line)

    def first(self, text):
        return next((when for when, line in self.lines if text in line), None)

    def summary(self):
        dialled = self.first("call: connecting to")
        picture = self.first("receiving with resolution")
        resolution = next((re.search(r"resolution (\d+ x \d+)", line).group(1)
                           for _, line in self.lines if "receiving with resolution" in line),
                          None)
        # Its status line: "audio=tx/rx video=tx/rx (bit/s) efps=tx/rx", the last one seen.
        status = [re.search(r"audio=\d+/(\d+) video=\d+/(\d+) \(bit/s\) efps=[\d.]+/([\d.]+)",
                            line) for _, line in self.lines]
        status = [m for m in status if m]
        last = status[-1] if status else None
        return {"phone": PHONE, "tool": "baresip",
                "join_ms": round((picture - dialled) * 1000) if picture and dialled else None,
                "picture": resolution.replace(" ", "") if resolution else None,
                "audio": self.first("incoming rtp for 'audio' established") is not None,
                "decoded_fps": float(last.group(3)) if last else None,
                "audio_kbps": round(int(last.group(1)) / 1000) if last else None,
                "video_kbps": round(int(last.group(2)) / 1000) if last else None}


class Browser:
    """tests/browser/watch.mjs: headless Chromium opens callcastd's /watch page, watches the
    number over WebRTC for `seconds` after its first frame, screenshots the page and prints one
    JSON line (join_ms, frames_decoded, audio_samples_received, frame size, ...)."""

    def __init__(self, base, seconds):
        self.screenshot = os.path.join(OUT, f"browser-{BROWSER}.png")
        self.seconds = seconds
        self.process = start(nice=BESIDE_NICE,
                             args=["node", os.path.join(ROOT, "tests", "browser", "watch.mjs"),
                                   "--base", base, "--number", MASTER, "--user", BROWSER,
                                   "--password", PASSWORD, "--seconds", str(seconds),
                                   "--screenshot", self.screenshot,
                                   "--timeout", str(seconds + 40)],
                             stdout=subprocess.PIPE,
                             stderr=open(os.path.join(OUT, f"browser-{BROWSER}.log"), "w"),
                             text=True)

    def result(self):
        return last_json_line(self.process, self.seconds + 50)


def last_json_line(process, timeout):
    """The last JSON line a browser script (tests/browser/*.mjs) printed, once it ended (killed
    after `timeout` seconds); {"ok": False, "error": ...} when there is none."""
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    try:
        return json.loads(lines[-1]) if lines else {"ok": False, "error": "no JSON line"}
    except ValueError as error:
        return {"ok": False, "error": f"bad JSON line: {error}"}


class ConsoleShot:
    """tests/browser/console.mjs in the background: the operator console (/) with the group's
    row and its chart, screenshot into demo-out/console.png while everyone watches."""

    def __init__(self, base):
        self.process = start(nice=BESIDE_NICE,
                             args=["node", os.path.join(ROOT, "tests", "browser", "console.mjs"),
                                   "--base", base, "--group", MASTER, "--seconds", "6",
                                   "--screenshot", os.path.join(OUT, "console.png")],
                             stdout=subprocess.PIPE,
                             stderr=open(os.path.join(OUT, "console.log"), "w"), text=True)

    def result(self):
        return last_json_line(self.process, 60)


def browser_setup_missing():
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not os.path.exists("/usr/bin/chromium"):
        missing.append("/usr/bin/chromium (apt-get install chromium)")
    if not os.path.exists(os.path.join(ROOT, "web", "node_modules", "playwright-core")) or \
            not os.path.exists(os.path.join(ROOT, "web", "dist", "watch.html")):
        missing.append("the pages and playwright-core (make web)")
    return missing


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "dev")
    callcastd = os.path.join(build_dir, "apps", "callcastd", "callcastd")
    callcast = os.path.join(build_dir, "apps", "callcast", "callcast")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    failures = []
    users = os.path.join(OUT, "users")

    missing = browser_setup_missing()
    if missing:
        raise SystemExit("the browser viewer needs " + ", ".join(missing))
    say("demo", f"creating the demo users {MASTER}, " + ", ".join(v for v, _ in VIEWERS) +
        f", the phone {PHONE} and the browser {BROWSER}")
    for number in [MASTER] + [v for v, _ in VIEWERS] + [PHONE, BROWSER]:
        subprocess.run([callcastd, "user", "add", number, "--users", users, "--password",
                        PASSWORD], check=True, stdout=subprocess.DEVNULL)

    say("demo", "starting callcastd: network side (SIP) + streaming server, ports chosen by the OS")
    server = start([callcastd, "--rtsp", "127.0.0.1:0", "--http", http_listen_address(),
                    "--rtp-ports", "0-0", "--sip", "127.0.0.1:0", "--users", users,
                    "--forwarding-db", os.path.join(OUT, "forwarding.sqlite")],
                   stdout=subprocess.PIPE, stderr=open(os.path.join(OUT, "callcastd.log"), "w"),
                   text=True)
    ready = server.stdout.readline().split()
    fields = dict(item.split("=", 1) for item in ready if "=" in item)
    if "sip" not in fields:
        raise SystemExit("callcastd did not start; see demo-out/callcastd.log")
    base = "http://" + fields["http"]
    say("demo", f"callcastd ready: SIP {fields['sip']} (service number 777), "
                f"RTSP {fields['rtsp']}, HTTP {base}")
    account = ["--password", PASSWORD, "--server", fields["sip"]]

    broadcaster = Terminal(f"broadcaster {MASTER}",
                           [callcast, "broadcast", "--number", MASTER, *account,
                            "--ut-url", base, "--size", "1280x720", "--fps", str(FPS),
                            "--bitrate", "2M"])
    if not broadcaster.wait_for("step 707", 20) or not broadcaster.wait_for(
            "now forward to the service number", 10):
        raise SystemExit("the broadcast did not go live; see demo-out/broadcaster-*.log")

    say("demo", f"browser {BROWSER}: headless Chromium opens {base}/watch and watches {MASTER} "
                "over WebRTC (WHEP, issue 14)")
    browser = Browser(base, RECORD_SECONDS)
    # The operator console while the viewers watch (its own browser takes a few seconds to start).
    console_shot = ConsoleShot(base)
    # Chromium's start-up takes both cores of a small machine for seconds: the recorded terminals
    # call once the browser's call is in, so that their recordings do not pay for it.
    if not log_shows(os.path.join(OUT, "callcastd.log"), f"terminal={BROWSER} step=712", 30):
        say("demo", f"the browser's call is not in after 30 s; the viewers call all the same")
    say("demo", f"phone {PHONE} (baresip) calls {MASTER}: plain RTP, no RTSP (issue 13)")
    phone = Phone(fields["sip"], RECORD_SECONDS)
    viewers = []
    for number, delay in VIEWERS:
        if delay:
            say("demo", f"viewer {number} joins {delay:.0f} s late")
            time.sleep(delay - (time.time() - viewers[-1][2]) if viewers else delay)
        path = os.path.join(OUT, f"viewer-{number}.mkv")
        terminal = Terminal(f"viewer {number}",
                            [callcast, "watch", MASTER, "--number", number, *account,
                             "--record", path, "--duration", str(RECORD_SECONDS)])
        viewers.append((number, terminal, time.time(), path, delay))

    # Mid-broadcast, with every viewer watching: the series a monitoring system would scrape.
    time.sleep(max(0.0, viewers[-1][2] + 3 - time.time()))
    try:
        missing, text = scrape_metrics(base)
        samples = dict(line.rsplit(" ", 1) for line in text.splitlines()
                       if line and not line.startswith("#"))
        by_transport = {transport: samples.get('callcast_viewers{transport="%s"}' % transport, "?")
                        for transport in ("udp", "tcp", "webrtc", "rtp")}
        counted = ", ".join(f"{transport} {count}" for transport, count in by_transport.items())
        sent = samples.get("callcast_media_sent_packets_total", "?")
        say("demo", f"metrics: curl -s {base}/metrics (saved in demo-out/metrics.txt): "
                    f"viewers by transport {counted}, RTP packets sent {sent}")
        if missing:
            failures.append("series missing from /metrics: " + ", ".join(missing))
    except OSError as error:
        failures.append(f"GET /metrics failed: {error}")
    console = console_shot.result()
    say("demo", f"operator console {base}/: row {MASTER}: viewers "
                f"{(console.get('row') or {}).get('viewers', '?')}, bitrate "
                f"{(console.get('row') or {}).get('bitrate', '?')}, chart moving "
                f"{'yes' if console.get('chart_moved') else 'no'} (demo-out/console.png)")
    if not console.get("ok"):
        failures.append(f"the operator console: {console.get('error', console)}")

    for number, terminal, _, _, _ in viewers:
        try:
            code = terminal.process.wait(timeout=RECORD_SECONDS + 40)
        except subprocess.TimeoutExpired:
            code = None
        terminal.reader.join(timeout=5)
        if code != 0:
            failures.append(f"viewer {number} exited {code}")

    try:
        phone.process.wait(timeout=RECORD_SECONDS + 20)
    except subprocess.TimeoutExpired:
        failures.append("the phone did not hang up")
    phone.reader.join(timeout=5)
    browser_row = browser.result()
    say(f"browser {BROWSER}", f"first frame after {browser_row.get('join_ms', '-')} ms; "
                              f"{browser_row.get('state_text') or browser_row.get('error', '')}")

    say("demo", "the broadcaster hangs up (Ctrl-C): the network side ends the group")
    broadcaster.process.send_signal(signal.SIGINT)
    try:
        if broadcaster.process.wait(timeout=15) != 0:
            failures.append(f"the broadcaster exited {broadcaster.process.returncode}")
    except subprocess.TimeoutExpired:
        failures.append("the broadcaster did not end within 15 s")
    broadcaster.reader.join(timeout=5)
    status, listing = get_json(base + "/v1/groups")
    if status != 200 or listing.get("groups"):
        failures.append("groups left after the broadcast ended")

    summary = {"broadcaster": MASTER, "fps": FPS, "record_seconds": RECORD_SECONDS,
               "broadcast": broadcaster.stats(), "viewers": []}
    print()
    print(f"{'viewer':<13} {'late':>4} {'join ms':>7} {'frames':>7} {'expected':>8} {'audio':>5} "
          f"{'lost':>5} {'g2g ms':>7} {'via':>4}  recording")
    for number, terminal, _, path, delay in viewers:
        stats = terminal.stats()
        probe = ffprobe_json(["-count_frames", "-show_streams", path]) if os.path.exists(
            path) else {}
        streams = probe.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), {})
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        frames = int(video.get("nb_read_frames", 0) or 0)
        expected = FPS * RECORD_SECONDS
        png = os.path.join(OUT, f"viewer-{number}.png")
        if frames:
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "2", "-i", path,
                            "-frames:v", "1", png], timeout=30)
        latency = (stats.get("latency_ms") or {}).get("p50")
        row = {"viewer": number, "joined_late_s": delay, "join_ms": stats.get("join_ms"),
               "frames": frames, "expected_frames": expected, "audio": audio is not None,
               "codec": video.get("codec_name"), "width": video.get("width"),
               "height": video.get("height"), "packets_lost": stats.get("packets_lost"),
               "packets_received": stats.get("packets_received"),
               "transport": stats.get("transport"), "glass_to_glass_ms_p50": latency,
               "recording": os.path.relpath(path, ROOT),
               "frame_png": os.path.relpath(png, ROOT) if os.path.exists(png) else None}
        summary["viewers"].append(row)
        print(f"{number:<13} {delay:>4.0f} {str(row['join_ms'] or '-'):>7} {frames:>7} "
              f"{expected:>8} {'yes' if audio else 'no':>5} {str(row['packets_lost']):>5} "
              f"{(f'{latency:.0f}' if latency else '-'):>7} {str(row['transport']):>4}  "
              f"{row['recording']}")
        if frames < 0.9 * expected:
            failures.append(f"viewer {number} recorded {frames} of {expected} frames")
        if audio is None:
            failures.append(f"viewer {number}'s recording has no audio")
    phone_row = phone.summary()
    summary["phone"] = phone_row
    print(f"{'phone':<13} {'':>4} {str(phone_row['join_ms'] or '-'):>7}  baresip over plain RTP: "
          f"picture {phone_row['picture'] or 'none'}, audio {'yes' if phone_row['audio'] else 'no'}"
          f", decoding {phone_row['decoded_fps'] or '-'} fps, receiving video "
          f"{phone_row['video_kbps'] or '-'} kbit/s, audio {phone_row['audio_kbps'] or '-'} kbit/s")
    if not phone_row["picture"]:
        failures.append(f"the phone {PHONE} decoded no picture (demo-out/phone/stdout.log)")
    if not phone_row["audio"]:
        failures.append(f"the phone {PHONE} received no audio (demo-out/phone/stdout.log)")
    browser_frames = browser_row.get("frames_decoded") or 0
    width, height = browser_row.get("frame_width") or 0, browser_row.get("frame_height") or 0
    shot = os.path.relpath(browser.screenshot, ROOT) if os.path.exists(browser.screenshot) \
        else "none"
    print(f"{'browser':<13} {'':>4} {str(browser_row.get('join_ms') or '-'):>7} "
          f"{browser_frames:>7} {FPS * RECORD_SECONDS:>8} "
          f"{'yes' if browser_row.get('audio_samples_received') else 'no':>5} {'-':>5} "
          f"{'-':>7} {'rtc':>4}  Chromium over WebRTC: picture "
          f"{f'{width}x{height}' if width else 'none'}, screenshot "
          f"{shot}")
    summary["browser"] = {"browser": BROWSER, "tool": "chromium (tests/browser/watch.mjs)",
                          **browser_row}
    summary["console"] = console
    if not browser_row.get("ok"):
        failures.append(f"the browser {BROWSER} did not play: "
                        f"{browser_row.get('error') or browser_row}")
    elif browser_frames < 0.8 * FPS * RECORD_SECONDS:
        failures.append(f"the browser {BROWSER} decoded {browser_frames} of "
                        f"{FPS * RECORD_SECONDS} frames")
    summary["failures"] = failures
    with open(os.path.join(OUT, "summary.json"), "w") as out:
        json.dump(summary, out, indent=2)
    print()
    print("wrote demo-out/summary.json, the recordings and a PNG frame of each, the browser's and "
          "the console's screenshots under demo-out/")
    if failures:
        print("DEMO FAILED: " + "; ".join(failures))
        return 1
    print("demo OK: one broadcast by phone call, three viewers and a SIP phone by calling the "
          "broadcaster, a browser by WebRTC")
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
