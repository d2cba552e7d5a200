#!/usr/bin/env python3
"""Tunebench's one channel per host: pushes what every watched run appends, as it is written.

Python 3.8+ standard library only. Started by the app over one SSH channel per host; it lives as long
as that channel (stdin closes: it exits). The app tells it what to watch on stdin, one JSON line each:
  {"op": "watch", "run": ID, "dir": PATH, "files": {NAME: {"id": "dev:ino", "offset": N}, ...}}
      (again at any time with the app's cursors: they replace what this process had)
  {"op": "unwatch", "run": ID}
and it answers on stdout, one JSON line each:
  {"t": "data", "run": ID, "file": NAME, "id": "dev:ino", "offset": N, "b": BASE64}  whole lines from N
  {"t": "reset", "run": ID, "file": NAME, "why": ...}   the file is not what the app's cursor says
      (a new file, a truncation, a line longer than a frame): the app reads it itself
  {"t": "state", "run": ID, "probe": {...}}   status, exit code, heartbeat age, alive (as probe_run.py)
The push is only a hint: the app stores a frame only where its cursor already is, so a lost or repeated
frame, or a dropped channel, loses and doubles nothing; the app's own reads stay the truth.

Changes are seen through inotify where Linux has it (no work while nothing is written), else by
looking at the files every 50 ms.
"""
import base64
import ctypes
import ctypes.util
import json
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_run  # noqa: E402  (uploaded beside this file)

STREAMS = probe_run.STREAMS
FRAME_BYTES = 1024 * 1024  # at most this much per data frame (a frame is one line on the channel)
LONGEST_LINE = 4 * 1024 * 1024  # a partial line longer than the app reads in one go: let the app read it
STATE_EVERY_S = 5.0  # a state frame at least this often per run (a process killed -9 writes no file)
POLL_S = 0.05

out = sys.stdout


def send(frame):
    out.write(json.dumps(frame, separators=(",", ":")) + "\n")


def file_id(st):
    return "%d:%d" % (st.st_dev, st.st_ino)


def probe(d):
    """What probe_run.py says of a run directory, without its files (the frames carry those)."""
    out_ = probe_run.probe(d, files=())
    return {k: out_[k] for k in ("status", "exitCode", "heartbeatAge", "alive")}


class Run:
    def __init__(self, run_id, d):
        self.id = run_id
        self.dir = d
        self.files = {}  # name -> [id, offset] the app has, or has been sent
        self.blocked = set()  # files reset: nothing more is sent until the app watches again
        self.last_state = None
        self.last_state_at = 0.0
        self.watches = []

    def catch_up(self):
        """Sends whatever was appended since what the app has."""
        for name in STREAMS:
            if name in self.blocked:
                continue
            path = os.path.join(self.dir, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            known = self.files.get(name)
            fid = file_id(st)
            if known is None:
                # A file the app has not seen yet: from its start (the app begins a new cursor there).
                known = self.files[name] = [fid, 0]
            if known[0] != fid or st.st_size < known[1]:
                self.blocked.add(name)
                send({"t": "reset", "run": self.id, "file": name, "why": "another file" if known[0] != fid else "shorter than the app's cursor"})
                continue
            offset = known[1]
            if st.st_size <= offset:
                continue
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read(min(st.st_size - offset, LONGEST_LINE))
            while data:
                end = data.rfind(b"\n", 0, FRAME_BYTES)
                if end < 0:
                    if data.find(b"\n") >= 0 or len(data) >= LONGEST_LINE:
                        # One line longer than a frame: the app reads it itself (and cuts it as it does).
                        self.blocked.add(name)
                        send({"t": "reset", "run": self.id, "file": name, "why": "a line longer than a frame"})
                    break  # a partial last line waits for its newline
                piece = data[: end + 1]
                send({"t": "data", "run": self.id, "file": name, "id": fid, "offset": offset, "b": base64.b64encode(piece).decode()})
                offset += len(piece)
                data = data[len(piece):]
            known[1] = offset

    def report_state(self, force=False):
        p = probe(self.dir)
        key = (p["exitCode"], p["alive"], json.dumps(p["status"], sort_keys=True), p["heartbeatAge"] is None)
        now = time.time()
        if force or key != self.last_state or now - self.last_state_at >= STATE_EVERY_S:
            self.last_state = key
            self.last_state_at = now
            send({"t": "state", "run": self.id, "probe": p})


class Inotify:
    """Linux inotify through ctypes: a wait that wakes only when something is written."""
    MASK = 0x2 | 0x4 | 0x8 | 0x80 | 0x100  # MODIFY, ATTRIB, CLOSE_WRITE, MOVED_TO, CREATE

    def __init__(self):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self.libc = libc
        self.fd = libc.inotify_init1(os.O_NONBLOCK | 0o2000000)  # IN_CLOEXEC
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.wds = {}

    def add(self, path, run):
        wd = self.libc.inotify_add_watch(self.fd, path.encode(), self.MASK)
        if wd >= 0:
            self.wds.setdefault(wd, set()).add(run.id)
            run.watches.append(wd)

    def remove(self, run):
        for wd in run.watches:
            ids = self.wds.get(wd)
            if ids is not None:
                ids.discard(run.id)
                if not ids:
                    del self.wds[wd]
                    self.libc.inotify_rm_watch(self.fd, wd)
        run.watches = []

    def read(self):
        """The ids of runs with something new."""
        dirty = set()
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return dirty
            i = 0
            while i + 16 <= len(buf):
                wd, _mask, _cookie, length = struct.unpack_from("iIII", buf, i)
                dirty |= self.wds.get(wd, set())
                i += 16 + length


def main():
    runs = {}
    try:
        notify = Inotify()
    except (OSError, AttributeError, TypeError):
        notify = None
    stdin = sys.stdin.buffer
    pending = b""
    send({"t": "ready", "inotify": notify is not None})
    out.flush()
    while True:
        wait = [stdin] + ([notify.fd] if notify else [])
        ready, _, _ = select.select(wait, [], [], 1.0 if notify else POLL_S)
        dirty = set()
        if stdin in ready:
            chunk = os.read(stdin.fileno(), 65536)
            if not chunk:
                return 0  # the app closed the channel
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if msg.get("op") == "watch":
                    run = runs.get(msg["run"])
                    if run is None:
                        run = runs[msg["run"]] = Run(msg["run"], msg["dir"])
                        if notify:
                            for sub in ("", "logs", ".tb"):
                                notify.add(os.path.join(run.dir, sub), run)
                    run.files = {name: [f["id"], int(f["offset"])] for name, f in (msg.get("files") or {}).items()}
                    run.blocked = set()
                    run.report_state(force=True)
                    dirty.add(run.id)
                elif msg.get("op") == "unwatch":
                    run = runs.pop(msg.get("run"), None)
                    if run and notify:
                        notify.remove(run)
        if notify and notify.fd in ready:
            dirty |= notify.read()
        if not notify:
            dirty |= set(runs)  # no inotify: look at every run each time
        now = time.time()
        for run_id in dirty:
            run = runs.get(run_id)
            if run:
                run.catch_up()
                run.report_state()
        for run in runs.values():
            if run.id not in dirty and now - run.last_state_at >= STATE_EVERY_S:
                run.report_state()
        out.flush()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(0)
