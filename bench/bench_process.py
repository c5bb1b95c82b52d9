"""What the Python benches do with the processes they start: CPU time, a line in a log, a
stop; and the quantile their figures use."""
import os
import signal
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
