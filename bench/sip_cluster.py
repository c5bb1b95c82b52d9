#!/usr/bin/env python3
"""Issue 15, "Measured": `callcast-bench sip` through Kamailio against 1 and 2 signaling nodes,
side by side in one run.

For each node count (and each repeat, interleaved: 1, 2, 1, 2...) the script builds a fresh lab
on the loopback, then runs the existing SIP load against Kamailio's address:

    redis-server 127.0.0.1:<free>                     the cluster's directory and bus
    callcastd --role media      127.0.0.1             one media node (groups, RTSP of the masters)
    callcastd --role signaling  127.0.0.11, .12, ...  N signaling nodes, node i pinned to CPU i
                                                      (taskset) when the machine has the cores
    scripts/kamailio-front.sh   127.0.0.2             config/kamailio/kamailio.cfg, the nodes in
                                                      its dispatcher list, OPTIONS probing
    callcast-bench sip --sip <kamailio> --http <node 1> --also-clean <node 2..N>
                       --watch-pid <every process above>

Each run prints callcast-bench's own JSON lines (prefixed by the lab's description) on stderr
and the last line on stdout is one JSON object: per node count the viewer and master phases'
set-ups/s and INVITE-to-200 p50/p99 of every repeat (median and spread), every process's CPU
in the viewer phase, how Kamailio spread the calls over the nodes, and the ratio 2-node/1-node.

    python3 bench/sip_cluster.py build/release                      # 1,2 nodes x 2 repeats
    python3 bench/sip_cluster.py build/dev --nodes 1,2 --repeats 3 --masters 20 --viewers 50
    python3 bench/sip_cluster.py build/release --repeats 3 --masters 40 --node-cpu-quota 0.2

--node-cpu-quota F puts each signaling node in a CPU cgroup of its own, limited to F of one core
(root; cgroup v2's cpu.max, else v1's cpu.cfs_quota_us), so that on a small machine the nodes,
not the cores everything shares, bound the set-up rate; the groups go when the lab stops.

Bounded: each lab start waits at most 15 s per process, each bench run --run-timeout (60 s);
every process the script started is stopped at the end of its run (SIGTERM, SIGKILL after 5 s),
on failure and Ctrl-C too, and the CPU cgroups it made are removed. Only its own processes are
touched.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
KAMAILIO_FRONT = os.path.join(REPO, "scripts", "kamailio-front.sh")
KAMCMD = "/usr/sbin/kamcmd"
FRONT_HOST = "127.0.0.2"
MEDIA_HOST = "127.0.0.1"
SECRET = "bench-cluster-secret"
MEDIA_KEY = "bench-media-key"


def log(text):
    print(text, file=sys.stderr, flush=True)


def free_port(host, kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def cpu_count():
    return len(os.sched_getaffinity(0))


class CpuCgroups:
    """One CPU cgroup per signaling node with a CFS quota (--node-cpu-quota): each node gets a
    fixed share of a core, so the nodes, not the shared machine, bound the set-up rate.

    cgroup v2 where its cpu controller is usable by children of its root (cpu.max), else v1's
    cpu hierarchy (cpu.cfs_quota_us / cpu.cfs_period_us). Only groups this object made are
    touched, and only with the PIDs the script started."""

    PERIOD_US = 100000

    def __init__(self, quota):
        self.quota = quota
        self.created = []
        self.version, self.root = self.find_hierarchy()

    @staticmethod
    def find_hierarchy():
        for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            try:
                controllers = open(os.path.join(root, "cgroup.controllers")).read().split()
                subtree = open(os.path.join(root, "cgroup.subtree_control")).read().split()
            except OSError:
                continue
            if "cpu" in controllers and "cpu" in subtree:
                return 2, root
        if os.path.exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):
            return 1, "/sys/fs/cgroup/cpu"
        raise RuntimeError("--node-cpu-quota needs a CPU cgroup: neither cgroup v2 with the cpu "
                           "controller enabled for its children (/sys/fs/cgroup/unified or "
                           "/sys/fs/cgroup: cpu in cgroup.controllers and "
                           "cgroup.subtree_control) nor cgroup v1's /sys/fs/cgroup/cpu "
                           "(cpu.cfs_quota_us) is mounted")

    def create(self, name):
        path = os.path.join(self.root, f"callcast-bench-{os.getpid()}-{name}")
        try:
            os.mkdir(path)
        except OSError as error:
            raise RuntimeError(f"cannot create the CPU cgroup {path} ({error.strerror}): "
                               "--node-cpu-quota needs root or a delegated cgroup")
        self.created.append(path)
        quota_us = max(1000, round(self.quota * self.PERIOD_US))
        if self.version == 2:
            self.write(path, "cpu.max", f"{quota_us} {self.PERIOD_US}")
        else:
            self.write(path, "cpu.cfs_period_us", str(self.PERIOD_US))
            self.write(path, "cpu.cfs_quota_us", str(quota_us))
        return path

    @staticmethod
    def write(path, name, value):
        with open(os.path.join(path, name), "w") as f:
            f.write(value)

    @staticmethod
    def enter(path):
        """preexec_fn: the child joins the group between fork and exec, before callcastd starts
        a thread, so every thread it makes is throttled with it."""
        CpuCgroups.write(path, "cgroup.procs", str(os.getpid()))

    def tasks_outside(self, path, pid):
        """Threads of pid that are not in the group (none expected). Each thread's own
        /proc/.../cgroup is read: callcastd may start or end a thread meanwhile."""
        relative = "/" + os.path.relpath(path, self.root)
        outside = []
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return []
        for thread in threads:
            try:
                lines = open(f"/proc/{pid}/task/{thread}/cgroup").read().splitlines()
            except OSError:
                continue  # ended since the listing
            for line in lines:
                _, controllers, group = line.split(":", 2)
                mine = (controllers == "" if self.version == 2
                        else "cpu" in controllers.split(","))
                if mine and group != relative:
                    outside.append(thread)
        return outside

    def throttling(self, path):
        """cpu.stat: how often the quota stopped the group, and for how long in total (ms)."""
        stat = dict(line.split() for line in open(os.path.join(path, "cpu.stat")) if line.strip())
        if self.version == 2:
            return {"periods": int(stat.get("nr_periods", 0)),
                    "throttled": int(stat.get("nr_throttled", 0)),
                    "throttled_ms": round(int(stat.get("throttled_usec", 0)) / 1000)}
        return {"periods": int(stat.get("nr_periods", 0)),
                "throttled": int(stat.get("nr_throttled", 0)),
                "throttled_ms": round(int(stat.get("throttled_time", 0)) / 1e6)}

    def remove(self):
        """rmdir every group made (the processes in them are stopped by then); retried briefly
        while the kernel still counts an exiting task."""
        left = []
        for path in reversed(self.created):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                left.append(path)
        self.created = []
        if left:
            log("sip_cluster: could not remove the CPU cgroup(s) " + ", ".join(left))


class Lab:
    """Redis, one media node, N signaling nodes and Kamailio, all on the loopback."""

    def __init__(self, build, nodes, work, args):
        self.build, self.nodes, self.work, self.args = build, nodes, work, args
        self.processes = []  # (name, Popen), stopped in reverse order
        self.sig = []  # {"pid", "sip", "http", "cpu", "cgroup"}
        self.pinning = {}
        self.cgroups = CpuCgroups(args.node_cpu_quota) if args.node_cpu_quota else None

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        self.users = os.path.join(self.work, "users")
        open(self.users, "w").close()  # the bench adds its users; every node re-reads the file
        self.redis_port = free_port("127.0.0.1")
        redis = self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind",
                                     "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--dir", self.work, "--daemonize", "no"])
        self.redis_pid = redis.pid
        deadline = time.time() + 15
        while not self.redis_answers():
            if time.time() > deadline or redis.poll() is not None:
                raise RuntimeError("redis-server did not answer PING: " + self.tail("redis"))
            time.sleep(0.05)

        calls = self.args.masters + self.args.masters * self.args.viewers + 100
        cluster = (f'[cluster]\nredis_url = "tcp://127.0.0.1:{self.redis_port}"\n'
                   # One media node: no viewer may overflow to an edge.
                   f"max_viewers_per_node = {max(1000, self.args.masters * self.args.viewers * 2)}\n")
        media_config = (f'log_level = "warn"\ntoken_secret = "{SECRET}"\n'
                        f'[http]\napi_key = "{MEDIA_KEY}"\n'
                        f"[media]\nmax_groups = {self.args.masters + 10}\n"
                        f"max_viewers_per_group = {self.args.viewers + 10}\n"
                        f"max_connections = {max(4096, 2 * self.args.masters + 100)}\n"
                        # The bench's masters publish no media after RECORD: not a lost master.
                        "publisher_grace_s = 600\n"
                        + cluster + f'node_id = "media1"\nadvertise_host = "{MEDIA_HOST}"\n')
        media = self.callcastd("media", "media1", media_config,
                               ["--http", f"{MEDIA_HOST}:0", "--rtsp", f"{MEDIA_HOST}:0",
                                "--rtp-ports", "0-0"], None)
        self.media_pid = media["pid"]

        cores = cpu_count()
        for i in range(self.nodes):
            host = f"127.0.0.{11 + i}"
            cpu = i if (self.args.pin and self.nodes <= cores) else None
            config = (f'log_level = "warn"\ntoken_secret = "{SECRET}"\n'
                      f'[sip]\nservice_number = "777"\nrealm = "callcast"\nmax_calls = {calls}\n'
                      # The bench's viewers only signal, they never PLAY.
                      "viewer_media_start_timeout_s = 86400\n"
                      f'trusted_proxies = ["{FRONT_HOST}"]\nmedia_api_key = "{MEDIA_KEY}"\n'
                      + cluster + f'node_id = "sig{i + 1}"\n')
            group = (self.cgroups.create(f"{os.path.basename(self.work)}-sig{i + 1}")
                     if self.cgroups else None)
            node = self.callcastd("signaling", f"sig{i + 1}", config,
                                  ["--http", f"{host}:0", "--sip", f"{host}:0", "--users",
                                   self.users, "--forwarding-db",
                                   os.path.join(self.work, f"sig{i + 1}.sqlite")], cpu, group)
            node["cpu"], node["cgroup"] = cpu, group
            if group:
                outside = self.cgroups.tasks_outside(group, node["pid"])
                if outside:
                    raise RuntimeError(f"sig{i + 1}: threads {outside} are not in {group}")
            self.sig.append(node)
            self.pinning[f"sig{i + 1}"] = "unpinned" if cpu is None else f"cpu {cpu}"

        self.front_port = free_port(FRONT_HOST, socket.SOCK_DGRAM)
        self.front_dir = os.path.join(self.work, "kamailio")
        argv = [KAMAILIO_FRONT, "--listen", FRONT_HOST, "--port", str(self.front_port),
                "--dir", self.front_dir, "--ping-interval", "2"]
        for node in self.sig:
            argv += ["--node", node["sip"]]
        front = self.spawn("kamailio", argv)
        self.front_pid = front.pid
        deadline = time.time() + 15
        while True:
            flags = self.node_flags()
            if len(flags) == self.nodes and all(f.startswith("AP") for f in flags.values()):
                break
            if time.time() > deadline or front.poll() is not None:
                raise RuntimeError(f"kamailio did not list {self.nodes} nodes up ({flags}): "
                                   + self.tail("kamailio"))
            time.sleep(0.1)
        for name in ("redis", "media1", "kamailio"):
            self.pinning[name] = "unpinned"
        self.pinning["callcast-bench"] = "unpinned"

    def spawn(self, name, argv, cpu=None, stdout=None, cgroup=None):
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + argv  # taskset execs: the PID stays the node's
        err = open(os.path.join(self.work, name + ".log"), "w")
        process = subprocess.Popen(argv, stdout=stdout or err, stderr=err, cwd=self.work,
                                   start_new_session=True,
                                   preexec_fn=(lambda: CpuCgroups.enter(cgroup)) if cgroup
                                   else None)
        self.processes.append((name, process))
        return process

    def callcastd(self, role, name, config, args, cpu, cgroup=None):
        path = os.path.join(self.work, name + ".toml")
        with open(path, "w") as f:
            f.write(config)
        binary = os.path.join(self.build, "apps", "callcastd", "callcastd")
        process = self.spawn(name, [binary, "--role", role, "--config", path] + args, cpu,
                             stdout=subprocess.PIPE, cgroup=cgroup)
        ready = self.ready_line(process, name)
        fields = dict(f.split("=", 1) for f in ready.split()[2:])
        return {"pid": process.pid, "http": fields["http"], "sip": fields.get("sip")}

    def ready_line(self, process, name):
        deadline = time.time() + 15
        line = b""
        while time.time() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
                if b"\n" in line:
                    text = line.split(b"\n", 1)[0].decode()
                    if text.startswith("callcastd ready"):
                        return text
                    break
            if process.poll() is not None:
                break
        raise RuntimeError(f"{name} printed no ready line: " + self.tail(name))

    def redis_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.3) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def node_flags(self):
        try:
            out = subprocess.run([KAMCMD, "-s", f"unix:{self.front_dir}/kamailio_ctl",
                                  "dispatcher.list"], capture_output=True, text=True,
                                 timeout=5).stdout
        except (OSError, subprocess.TimeoutExpired):
            return {}
        return dict(re.findall(r"URI: (\S+)\s+FLAGS: (\S+)", out))

    def kamailio_shm_max_used_mb(self):
        """The most shared memory Kamailio had in use (its transactions), for --shm-mb sizing."""
        try:
            out = subprocess.run([KAMCMD, "-s", f"unix:{self.front_dir}/kamailio_ctl",
                                  "core.shmmem", "m"], capture_output=True, text=True,
                                 timeout=5).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = re.search(r"max_used:\s*(\d+)", out)
        return int(found.group(1)) if found else None

    def kamailio_pids(self):
        """Kamailio's main process and every worker it forked."""
        pids = [self.front_pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = open(f"/proc/{entry}/stat").read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.front_pid:
                    pids.append(int(entry))
        return pids

    def node_throttling(self):
        """cpu.stat of each node's group (empty without --node-cpu-quota)."""
        if not self.cgroups:
            return {}
        return {f"sig{i + 1}": self.cgroups.throttling(n["cgroup"]) for i, n in enumerate(self.sig)}

    def redis_commands(self):
        """Commands Redis ran since it started (INFO commandstats): with the calls, the round
        trips one set-up costs the cluster, and the events published to every node."""
        try:
            out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "INFO",
                                  "commandstats"], capture_output=True, text=True,
                                 timeout=5).stdout
        except (OSError, subprocess.TimeoutExpired):
            return {}
        return {name: int(calls) for name, calls in
                re.findall(r"cmdstat_([^:]+):calls=(\d+)", out)}

    def dispatch_counts(self):
        """INVITEs Kamailio sent to each node, from its log (the config logs every dispatch)."""
        counts = {}
        text = open(os.path.join(self.work, "kamailio.log"), errors="replace").read()
        for uri in re.findall(r"callcast: dispatch INVITE key=\S+ node=(\S+)", text):
            counts[uri] = counts.get(uri, 0) + 1
        names = {f"sip:{n['sip']}": f"sig{i + 1}" for i, n in enumerate(self.sig)}
        return {names.get(uri, uri): c for uri, c in sorted(counts.items())}

    def tail(self, name, size=1500):
        try:
            return open(os.path.join(self.work, name + ".log"), errors="replace").read()[-size:]
        except OSError:
            return "(no log)"

    def stop(self):
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
        self.processes = []
        if self.cgroups:
            self.cgroups.remove()


def run_once(build, nodes, repeat, work, args):
    lab = Lab(build, nodes, os.path.join(work, f"n{nodes}-r{repeat}"), args)
    try:
        lab.start()
        bench = os.path.join(build, "apps", "callcast-bench", "callcast-bench")
        argv = [bench, "sip", "--sip", f"{FRONT_HOST}:{lab.front_port}", "--http",
                lab.sig[0]["http"], "--users", lab.users, "--masters", str(args.masters),
                "--viewers", str(args.viewers), "--concurrency", str(args.concurrency),
                "--transport", args.transport, "--json-only",
                "--watch-pid", f"media1={lab.media_pid}",
                "--watch-pid", f"redis={lab.redis_pid}",
                "--watch-pid", "kamailio=" + "+".join(map(str, lab.kamailio_pids()))]
        for i, node in enumerate(lab.sig):
            argv += ["--watch-pid", f"sig{i + 1}={node['pid']}"]
            if i > 0:
                argv += ["--also-clean", node["http"]]
        load_before = os.getloadavg()[0]
        throttled_before = lab.node_throttling()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=args.run_timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"callcast-bench sip did not finish within {args.run_timeout} s")
        throttled_after = lab.node_throttling()
        lines = [json.loads(l) for l in done.stdout.splitlines() if l.startswith("{")]
        phases = {l["phase"]: l for l in lines}
        for l in lines:
            log(f"[{nodes} node(s), run {repeat}] " + json.dumps(l))
        if "summary" not in phases:
            raise RuntimeError(f"callcast-bench sip exit {done.returncode}: {done.stderr[-1500:]}")
        viewer_calls = phase_figures(phases.get("viewer_calls"))
        if args.node_cpu_quota and viewer_calls and viewer_calls.get("cpu_pct"):
            # Each node's CPU in the viewer phase over its quota: ~1 means the quota, not the
            # machine, held it back; the other processes' cpu_pct show what they had to spare.
            viewer_calls["quota_used"] = {
                name: round(pct / (100 * args.node_cpu_quota), 2)
                for name, pct in viewer_calls["cpu_pct"].items() if name.startswith("sig")}
        return {"nodes": nodes, "repeat": repeat, "exit": done.returncode,
                "ok": phases["summary"]["ok"], "calls": phases["summary"]["calls"],
                "clean": phases["summary"]["clean"],
                "viewer_calls": viewer_calls,
                "master_calls": phase_figures(phases.get("master_calls")),
                "dispatched_invites": lab.dispatch_counts(), "pinning": lab.pinning,
                "redis_commands": lab.redis_commands(),
                "kamailio_shm_max_used_mb": lab.kamailio_shm_max_used_mb(),
                "node_throttling": {
                    name: {k: after[k] - throttled_before[name][k] for k in after}
                    for name, after in throttled_after.items()},
                "load_avg_1m_before": round(load_before, 2)}
    finally:
        lab.stop()
        if not args.keep_dir:
            shutil.rmtree(lab.work, ignore_errors=True)


def phase_figures(phase):
    if phase is None:
        return None
    figures = {"calls": phase["calls"], "ok": phase["ok"], "setups_per_s": phase["setups_per_s"],
               "p50_ms": phase["latency_ms"]["p50"], "p99_ms": phase["latency_ms"]["p99"],
               "cpu_pct": phase.get("cpu_pct"), "bench_cpu_pct": phase.get("bench_cpu_pct"),
               "core_busy_pct": phase.get("core_busy_pct")}
    # CPU time per answered call of each process (ms): what sizes a node, whatever else ran on
    # the machine. The signaling nodes' together give the set-ups one busy core would carry.
    rate = phase["setups_per_s"]
    if rate > 0 and phase.get("cpu_pct"):
        per_call = {name: round(pct * 10 / rate, 3) for name, pct in phase["cpu_pct"].items()}
        per_call["callcast-bench"] = round(phase.get("bench_cpu_pct", 0) * 10 / rate, 3)
        figures["cpu_ms_per_setup"] = per_call
        signaling = sum(v for k, v in per_call.items() if k.startswith("sig"))
        if signaling > 0:
            figures["setups_per_signaling_core"] = round(1000 / signaling)
        if per_call.get("kamailio"):
            figures["setups_per_kamailio_core"] = round(1000 / per_call["kamailio"])
    return figures


def summarize(runs, key):
    values = [r[key] for r in runs if r is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 2), "min": min(values),
            "max": max(values), "all": values}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", help="build directory (build/release or build/dev)")
    parser.add_argument("--nodes", default="1,2", help="signaling node counts (1,2)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per node count (2)")
    parser.add_argument("--masters", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=50, help="viewer calls per master (50)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="leave the signaling nodes unpinned")
    parser.add_argument("--node-cpu-quota", type=float, default=None, metavar="F",
                        help="each signaling node in its own CPU cgroup limited to F of one "
                        "core (e.g. 0.25): small nodes, so that the nodes and not the shared "
                        "machine bound the rate (needs root)")
    parser.add_argument("--run-timeout", type=int, default=60, help="s per bench run (60)")
    parser.add_argument("--keep-dir", action="store_true", help="keep configs and logs")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    if not all(1 <= n <= 8 for n in counts) or not 1 <= args.repeats <= 10:
        parser.error("--nodes: counts 1 to 8; --repeats: 1 to 10")
    for tool in ("redis-server", "taskset", "/usr/sbin/kamailio", KAMCMD):
        if shutil.which(tool) is None:
            log(f"sip_cluster: {tool} is not installed (redis-server, util-linux, kamailio)")
            return 77  # CTest's skip code for the smoke test
    if args.node_cpu_quota is not None:
        if not 0.01 <= args.node_cpu_quota <= cpu_count():
            parser.error(f"--node-cpu-quota: a fraction of one core, 0.01 to {cpu_count()}")
        try:
            version, root = CpuCgroups.find_hierarchy()
        except RuntimeError as error:
            log(f"sip_cluster: {error}")
            return 2
        log(f"sip_cluster: signaling nodes limited to {args.node_cpu_quota} core each "
            f"(cgroup v{version}, {root})")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    build = os.path.abspath(args.build)
    work = tempfile.mkdtemp(prefix="callcast-sip-cluster-")
    runs, failures = [], []
    try:
        for repeat in range(1, args.repeats + 1):
            for nodes in counts:
                try:
                    runs.append(run_once(build, nodes, repeat, work, args))
                except RuntimeError as error:
                    log(f"[{nodes} node(s), run {repeat}] failed: {error}")
                    failures.append({"nodes": nodes, "repeat": repeat, "error": str(error)})
    finally:
        if args.keep_dir:
            log(f"sip_cluster: logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    by_nodes = {}
    for nodes in counts:
        mine = [r for r in runs if r["nodes"] == nodes]
        viewers = [r["viewer_calls"] for r in mine]
        masters = [r["master_calls"] for r in mine]
        by_nodes[str(nodes)] = {
            "runs": len(mine),
            "all_ok": all(r["ok"] == r["calls"] and r["clean"] for r in mine),
            "viewer_setups_per_s": summarize(viewers, "setups_per_s"),
            "viewer_p50_ms": summarize(viewers, "p50_ms"),
            "viewer_p99_ms": summarize(viewers, "p99_ms"),
            "master_setups_per_s": summarize(masters, "setups_per_s"),
            "master_p50_ms": summarize(masters, "p50_ms"),
            "master_p99_ms": summarize(masters, "p99_ms"),
            "viewer_setups_per_signaling_core": summarize(
                [v for v in viewers if v and "setups_per_signaling_core" in v],
                "setups_per_signaling_core"),
            "viewer_setups_per_kamailio_core": summarize(
                [v for v in viewers if v and "setups_per_kamailio_core" in v],
                "setups_per_kamailio_core"),
            "viewer_cpu_ms_per_setup": [v.get("cpu_ms_per_setup") for v in viewers if v],
            "viewer_phase_cpu_pct": [v["cpu_pct"] for v in viewers if v],
            "viewer_phase_bench_cpu_pct": [v["bench_cpu_pct"] for v in viewers if v],
            "viewer_phase_core_busy_pct": [v["core_busy_pct"] for v in viewers if v],
            "viewer_quota_used": [v.get("quota_used") for v in viewers if v],
            "node_throttling": [r["node_throttling"] for r in mine],
            "dispatched_invites": [r["dispatched_invites"] for r in mine],
            "redis_commands": [r["redis_commands"] for r in mine],
            "kamailio_shm_max_used_mb": [r["kamailio_shm_max_used_mb"] for r in mine],
            "pinning": mine[0]["pinning"] if mine else None}
    result = {"bench": "sip_cluster", "transport": args.transport, "masters": args.masters,
              "viewers_per_master": args.viewers, "concurrency": args.concurrency,
              "cpus": cpu_count(), "node_cpu_quota": args.node_cpu_quota, "nodes": by_nodes, "failures": failures,
              "load_avg_1m_end": round(os.getloadavg()[0], 2)}
    one, two = by_nodes.get("1"), by_nodes.get("2")
    if one and two and one["viewer_setups_per_s"] and two["viewer_setups_per_s"]:
        result["ratio_2_vs_1"] = {
            "viewer_setups_per_s": round(two["viewer_setups_per_s"]["median"]
                                         / one["viewer_setups_per_s"]["median"], 3),
            "master_setups_per_s": round(two["master_setups_per_s"]["median"]
                                         / one["master_setups_per_s"]["median"], 3)}
    print(json.dumps(result))
    return 0 if not failures and all(n["all_ok"] for n in by_nodes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
