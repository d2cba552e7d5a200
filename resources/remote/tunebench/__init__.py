"""Tunebench's SDK for training scripts (stdlib only, Python 3.8+).

Metrics and events:
  log(dict, step=, kind=)   one metrics point into the run's metrics.jsonl.
  event(kind, **fields)     one lifecycle event into the run's events.jsonl.
Each metrics line carries a sequence number so the tracker stores every point exactly once, however
often the link to the laptop drops. A restarted process continues the sequence where the file ends.
In a multi-process run (torchrun sets RANK) only rank 0 writes: log() and event() do nothing on the
other ranks, so no point is counted twice.

Preemption / time limit (SLURM), and resuming a requeued run:
  is_main_process()         False only when env RANK is set and is not "0".
  checkpoint_requested()    True once <run dir>/.tb/checkpoint_request exists: the supervisor wants the
                            trainer to save a checkpoint and exit (0) before the job is stopped and
                            requeued. One stat, at most every 0.5 s; cheap enough to call every step.
  attempt()                 which attempt of the run this is: TUNEBENCH_ATTEMPT, else
                            SLURM_RESTART_COUNT, else 0.
  checkpoint_saved(step, path, **fields)
                            marks the checkpoint directory complete (<path>/.complete) and records a
                            checkpoint_saved event; call it after everything of the checkpoint is written.
  resume_checkpoint()       absolute path of the newest recorded checkpoint whose directory still exists
                            and is marked complete, or None (nothing to resume from).
The run dir is TUNEBENCH_RUN_DIR, else the current directory.
"""
import json
import math
import os
import threading
import time

__all__ = ["log", "event", "is_main_process", "checkpoint_requested", "attempt",
           "checkpoint_saved", "resume_checkpoint"]

_lock = threading.Lock()
_seq = None
COMPLETE_MARKER = ".complete"
_REQUEST_CHECK_INTERVAL_S = 0.5
_request_cache = {}  # request file path -> (monotonic time of the last stat, result)


def _run_dir():
    return os.environ.get("TUNEBENCH_RUN_DIR") or os.getcwd()


def is_main_process():
    """False only in a non-zero rank of a multi-process run (env RANK set and not "0")."""
    rank = os.environ.get("RANK")
    return rank is None or rank.strip() in ("", "0")


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
    if not m or not is_main_process():
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
    """Appends a lifecycle event (e.g. checkpoint_saved) to events.jsonl. Nothing on ranks other than 0."""
    if not is_main_process():
        return
    run_dir = _run_dir()
    fields.update({"ts": time.time(), "event": kind})
    with _lock:
        with open(os.path.join(run_dir, "events.jsonl"), "a") as f:
            f.write(json.dumps(fields) + "\n")


def checkpoint_requested():
    """True when <run dir>/.tb/checkpoint_request exists: save a checkpoint and exit 0, the job will be requeued.

    Any rank may ask; in a multi-process run the ranks must still agree (e.g. all_reduce a flag) so that
    every rank stops at the same step. The file is looked at at most every 0.5 s per process.
    """
    path = os.path.join(_run_dir(), ".tb", "checkpoint_request")
    now = time.monotonic()
    last = _request_cache.get(path)
    if last is not None and now - last[0] < _REQUEST_CHECK_INTERVAL_S:
        return last[1]
    result = os.path.exists(path)
    _request_cache[path] = (now, result)
    return result


def attempt():
    """Which attempt of this run this process is: TUNEBENCH_ATTEMPT, else SLURM_RESTART_COUNT, else 0."""
    for name in ("TUNEBENCH_ATTEMPT", "SLURM_RESTART_COUNT"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError:
                continue
    return 0


def _candidates(path):
    """Where a recorded checkpoint path may be: a relative one against the current directory (where the
    command that wrote it ran: the run dir, unless the run sets another cwd), then against the run dir."""
    if os.path.isabs(path):
        return [path]
    return [os.path.join(os.getcwd(), path), os.path.join(_run_dir(), path)]


def checkpoint_saved(step, path, **fields):
    """Records a finished checkpoint: writes <path>/.complete, then a checkpoint_saved event {step, path, ...}.

    path is recorded as given; a relative one is taken against the current directory (the run dir,
    unless the run sets another cwd), else the run dir. Call it once everything of the checkpoint is
    written: resume_checkpoint() only returns checkpoints with the marker, so one cut off mid-write is
    never resumed from (a script that rewrites a checkpoint directory should delete its .complete
    first). If the directory does not exist, only the event is written. Nothing on ranks other than 0.
    """
    if not is_main_process():
        return
    path = os.fspath(path)
    for directory in _candidates(path):
        if os.path.isdir(directory):
            marker = os.path.join(directory, COMPLETE_MARKER)
            with open(marker, "w") as f:
                f.write(json.dumps({"step": step, "ts": time.time()}) + "\n")
            break
    fields.update({"step": step, "path": path})
    event("checkpoint_saved", **fields)


def resume_checkpoint():
    """Absolute path of the newest checkpoint to resume from, or None.

    Newest = the last checkpoint_saved event in <run dir>/events.jsonl whose directory still exists and
    holds the complete-marker written by checkpoint_saved(). Unreadable lines (a partial last line) are
    skipped.
    """
    try:
        with open(os.path.join(_run_dir(), "events.jsonl"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    for raw in reversed(data.splitlines()):
        try:
            ev = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(ev, dict) or ev.get("event") != "checkpoint_saved":
            continue
        path = ev.get("path")
        if not isinstance(path, str) or not path:
            continue
        for directory in _candidates(path):
            if os.path.isfile(os.path.join(directory, COMPLETE_MARKER)):
                return os.path.abspath(directory)
    return None
