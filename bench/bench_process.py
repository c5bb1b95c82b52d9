"""What the Python benches watch in the processes they start: CPU time, and a line in a log."""
import os
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
