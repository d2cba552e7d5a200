#!/usr/bin/env python3
"""Prints one JSON line describing a run directory (or a sweep's): file identities and sizes, status, exit code,
heartbeat age, and whether the run's process is alive (pid and start time both match).

Also imported by watch_runs.py (the host's live channel), which reports the same state without the files."""
import json
import os
import sys
import time

STREAMS = ("logs/output.log", "logs/output.clock", "metrics.jsonl", "sys.jsonl", "events.jsonl", "cases.jsonl")


def _read(d, name):
    try:
        with open(os.path.join(d, ".tb", name)) as f:
            return f.read()
    except OSError:
        return None


def probe(d, files=STREAMS):
    """The run's state; `files` are stat'ed (after the exit code: it is written only once all output is
    flushed, so sizes read after it are final)."""
    out = {"files": {}, "now": time.time()}
    # The exit code before the status: the supervisor writes its final status first, so a status read
    # after the code says how the run ended (read the other way round, a cancel could look like a failure).
    code = _read(d, "exit_code")
    out["exitCode"] = int(code) if code and code.strip().lstrip("-").isdigit() else None
    status = _read(d, "status.json")
    try:
        out["status"] = json.loads(status) if status else None
    except ValueError:
        out["status"] = None
    for name in files:
        try:
            st = os.stat(os.path.join(d, name))
            out["files"][name] = {"id": "%d:%d" % (st.st_dev, st.st_ino), "size": st.st_size}
        except OSError:
            pass
    try:
        out["heartbeatAge"] = time.time() - os.stat(os.path.join(d, ".tb", "heartbeat")).st_mtime
    except OSError:
        out["heartbeatAge"] = None
    alive = False
    pid_text = _read(d, "pid")
    if pid_text:
        parts = pid_text.split()
        try:
            pid = int(parts[0])
            os.kill(pid, 0)
            alive = True
            if len(parts) > 1 and parts[1] != "None":
                with open("/proc/%d/stat" % pid) as f:
                    stat = f.read()
                fields = stat[stat.rindex(")") + 2:].split()
                # A zombie (state Z) has exited: only its parent has not collected it yet.
                alive = fields[19] == parts[1] and fields[0] != "Z"
        except (OSError, ValueError, IndexError):
            pass
    out["alive"] = alive
    return out


if __name__ == "__main__":
    # Further names after the directory: other files to report (a sweep's decisions.jsonl).
    print(json.dumps(probe(os.path.abspath(sys.argv[1]), STREAMS + tuple(sys.argv[2:]))))
