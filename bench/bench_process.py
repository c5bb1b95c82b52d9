"""What the Python benches do with the processes they start: CPU time, a line in a log, a
stop, a `callcast watch` join; and the quantile and join summary their figures use."""
import json
import os
import signal
import statistics
import subprocess
import time


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(path, text, timeout, process):
    """True once `text` is in the file at `path`; False at the timeout or when `process` ended."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def stop(process, timeout=10):
    """Stops a process the bench started: SIGINT, then SIGKILL after `timeout` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def quantile(values, q):
    """Nearest rank: the value below which a fraction q of the samples lie."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


def join_summary(joins, failed):
    """Join times (ms) as the join benches print them: n, failures, median, p90, min, max, all."""
    result = {"n": len(joins), "failed": failed}
    if joins:
        result.update({"median_ms": round(statistics.median(joins), 1),
                       "p90_ms": round(quantile(joins, 0.9), 1),
                       "min_ms": round(min(joins), 1), "max_ms": round(max(joins), 1),
                       "all_ms": [round(j, 1) for j in sorted(joins)]})
    return result


def terminal_join(callcast, target, viewer, account, work, index, duration):
    """One `callcast watch target` of `duration` s: its own join_ms (INVITE sent to the first
    decoded video frame), None when it failed; and the path of its log."""
    stats_path = os.path.join(work, f"watch-{index}.json")
    log_path = os.path.join(work, f"watch-{index}.log")
    process = subprocess.Popen(
        [callcast, "watch", target, "--number", viewer, *account, "--duration", str(duration),
         "--stats-json", stats_path, "--log-level", "info"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    try:
        process.wait(timeout=duration + 30)
    except subprocess.TimeoutExpired:
        stop(process)
    try:
        stats = json.load(open(stats_path))
    except (OSError, ValueError):
        stats = {}
    return stats.get("join_ms") if process.returncode == 0 else None, log_path
