"""tunebench.log(dict, step=): metrics from a custom training loop into the run's metrics.jsonl.

Each line carries a sequence number so the tracker stores every point exactly once, however often
the link to the laptop drops. A restarted process continues the sequence where the file ends.
"""
import json
import math
import os
import threading
import time

__all__ = ["log", "event"]

_lock = threading.Lock()
_seq = None


def _path():
    return os.environ.get("TUNEBENCH_METRICS_FILE") or os.path.join(os.getcwd(), "metrics.jsonl")


def _last_seq(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 65536))
            lines = f.read().splitlines()
        for line in reversed(lines):
            try:
                return int(json.loads(line)["seq"])
            except (ValueError, KeyError, TypeError):
                continue
    except OSError:
        pass
    return 0


def _clean(value):
    if isinstance(value, bool):
        return float(value)
    if hasattr(value, "item"):  # torch / numpy scalars
        value = value.item()
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else str(value)  # NaN/inf kept visible, as text
    return None


def log(metrics, step=None, kind="train"):
    """Appends one point: {"seq", "ts", "step", "kind", "m": {name: value}}. Non-numbers are dropped."""
    global _seq
    m = {}
    for k, v in metrics.items():
        c = _clean(v)
        if c is not None:
            m[str(k)] = c
    if not m:
        return
    path = _path()
    with _lock:
        if _seq is None:
            _seq = _last_seq(path)
        _seq += 1
        line = json.dumps({"seq": _seq, "ts": time.time(), "step": step, "kind": kind, "m": m}) + "\n"
        # One write() of the whole line on an O_APPEND descriptor: readers never see half a line from us.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def event(kind, **fields):
    """Appends a lifecycle event (e.g. checkpoint_saved) to events.jsonl."""
    run_dir = os.environ.get("TUNEBENCH_RUN_DIR") or os.getcwd()
    fields.update({"ts": time.time(), "event": kind})
    with _lock:
        with open(os.path.join(run_dir, "events.jsonl"), "a") as f:
            f.write(json.dumps(fields) + "\n")
