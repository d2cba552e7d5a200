#!/usr/bin/env python3
"""Tunebench run supervisor: owns one run's process group on the host that runs it.

Python 3.8+ standard library only. Started detached (setsid nohup ... </dev/null) with the run
directory as its only argument. It starts the run's command in its own session, turns '\r'
progress output into lines in logs/output.log, writes .tb/pid (pid and process start time, so a
reused pid is never mistaken for the run), touches .tb/heartbeat, keeps .tb/status.json (atomic
rename), samples GPUs into sys.jsonl, and on cancel (.tb/cancel appears, or SIGTERM to this
process) signals the whole group, then kills it after the grace period.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HEARTBEAT_S = 2.0
GPU_SAMPLE_S = 10.0


def now():
    return time.time()


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def process_start_time(pid):
    """Field 22 of /proc/PID/stat: start time in clock ticks since boot. None where /proc is absent."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return int(stat[stat.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


class Supervisor:
    def __init__(self, run_dir):
        self.dir = os.path.abspath(run_dir)
        self.tb = os.path.join(self.dir, ".tb")
        with open(os.path.join(self.dir, "run.json")) as f:
            self.spec = json.load(f)
        self.grace_s = float(self.spec.get("cancelGraceSeconds", 30))
        self.child = None
        self.cancel_requested = False
        self.state = "STARTING"
        self.started_at = now()
        self.lock = threading.Lock()
        self.events = open(os.path.join(self.dir, "events.jsonl"), "a", buffering=1)
        self.sys_seq = self._last_seq(os.path.join(self.dir, "sys.jsonl"))

    @staticmethod
    def _last_seq(path):
        try:
            with open(path, "rb") as f:
                lines = f.read().splitlines()
            return json.loads(lines[-1])["seq"] if lines else 0
        except (OSError, ValueError, KeyError, IndexError):
            return 0

    def event(self, kind, **fields):
        fields.update({"ts": now(), "event": kind})
        self.events.write(json.dumps(fields) + "\n")

    def write_status(self, **extra):
        status = {
            "state": self.state,
            "supervisorPid": os.getpid(),
            "pid": self.child.pid if self.child else None,
            "startedAt": self.started_at,
            "updatedAt": now(),
        }
        status.update(extra)
        write_atomic(os.path.join(self.tb, "status.json"), json.dumps(status))

    def heartbeat_loop(self):
        beat = os.path.join(self.tb, "heartbeat")
        cancel_file = os.path.join(self.tb, "cancel")
        next_gpu = 0.0
        while self.child is not None and self.child.poll() is None:
            with open(beat, "w") as f:
                f.write("%f\n" % now())
            if os.path.exists(cancel_file) and not self.cancel_requested:
                self.cancel("cancel file")
            if now() >= next_gpu:
                next_gpu = now() + GPU_SAMPLE_S
                self.sample_gpus()
            time.sleep(0.5 if not self.cancel_requested else 0.2)

    def sample_gpus(self):
        if shutil.which("nvidia-smi") is None:
            return
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw",
                 "--format=csv,noheader,nounits"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                timeout=5, universal_newlines=True).stdout
        except (OSError, subprocess.SubprocessError):
            return
        m = {}
        for line in out.strip().splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 6:
                continue
            i = parts[0]
            for name, value in zip(["util", "mem_used_mib", "mem_total_mib", "temp_c", "power_w"], parts[1:]):
                try:
                    m["gpu%s.%s" % (i, name)] = float(value)
                except ValueError:
                    pass
        if m:
            self.sys_seq += 1
            with open(os.path.join(self.dir, "sys.jsonl"), "a") as f:
                f.write(json.dumps({"seq": self.sys_seq, "ts": now(), "step": None, "kind": "sys", "m": m}) + "\n")

    def cancel(self, why):
        with self.lock:
            if self.cancel_requested or self.child is None:
                return
            self.cancel_requested = True
            self.state = "CANCELLING"
            self.event("cancel_requested", reason=why)
            self.write_status()
            try:
                os.killpg(self.child.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
        threading.Thread(target=self._kill_after_grace, daemon=True).start()

    def _kill_after_grace(self):
        deadline = now() + self.grace_s
        while now() < deadline:
            if self.child.poll() is not None and not self._group_alive():
                return
            time.sleep(0.2)
        try:
            os.killpg(self.child.pid, signal.SIGKILL)
            self.event("killed", reason="grace period of %ss passed" % self.grace_s)
        except ProcessLookupError:
            pass

    def _group_alive(self):
        try:
            os.killpg(self.child.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def pump_output(self):
        """Copies the child's output to logs/output.log, a line at a time; '\r' also ends a line.

        logs/output.clock gets {"offset", "ts"} lines: where in output.log the lines written at that
        time start, at most one a second. Log lines carry no time of their own; this is what lets a
        marker in the log be found on the charts (by step) and a marker on a chart in the log.
        """
        log = open(os.path.join(self.dir, "logs", "output.log"), "ab")
        clock = open(os.path.join(self.dir, "logs", "output.clock"), "a")
        last_tick = 0.0

        def tick():
            nonlocal last_tick
            t = now()
            if t - last_tick >= 1.0:
                last_tick = t
                clock.write(json.dumps({"offset": log.tell(), "ts": t}) + "\n")
                clock.flush()

        pending = b""
        at_line_start = True
        stream = self.child.stdout
        while True:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            # A progress bar redraws with '\r': each redraw becomes a line, but a '\r' at the start of a
            # line (right after a newline) is no line of its own.
            data = chunk.replace(b"\r\n", b"\n")
            if at_line_start:
                data = data.lstrip(b"\r")
            data = re.sub(rb"\n\r+", b"\n", data)
            data = re.sub(rb"\r+", b"\n", data)
            if data:
                at_line_start = data.endswith(b"\n")
            pending += data
            if b"\n" in pending:
                head, _, pending = pending.rpartition(b"\n")
                tick()
                log.write(head + b"\n")
                log.flush()
        if pending:
            tick()
            log.write(pending + b"\n")
        log.close()
        clock.close()

    def run(self):
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        signal.signal(signal.SIGTERM, lambda *_: self.cancel("SIGTERM to supervisor"))
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        env = dict(os.environ)
        env.update({k: str(v) for k, v in (self.spec.get("env") or {}).items()})
        lib = os.path.join(self.tb, "lib")
        env["PYTHONPATH"] = lib + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        env["TUNEBENCH_RUN_DIR"] = self.dir
        env["TUNEBENCH_RUN_ID"] = str(self.spec.get("id", ""))
        env["TUNEBENCH_METRICS_FILE"] = os.path.join(self.dir, "metrics.jsonl")
        command = self.spec["command"]
        cwd = os.path.join(self.dir, self.spec.get("cwd", "."))
        try:
            self.child = subprocess.Popen(command, shell=isinstance(command, str), cwd=cwd, env=env,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            self.state = "FAILED"
            self.event("start_failed", error=str(e))
            write_atomic(os.path.join(self.tb, "exit_code"), "127\n")
            self.write_status(exitCode=127, error=str(e), endedAt=now())
            return 127
        write_atomic(os.path.join(self.tb, "pid"), "%d %s\n" % (self.child.pid, process_start_time(self.child.pid)))
        self.state = "RUNNING"
        self.event("started", pid=self.child.pid)
        self.write_status()
        beat = threading.Thread(target=self.heartbeat_loop, daemon=True)
        beat.start()
        self.pump_output()
        code = self.child.wait()
        # The leader is gone; stragglers in its group (a backgrounded grandchild) must not outlive the run.
        if self._group_alive():
            try:
                os.killpg(self.child.pid, signal.SIGTERM)
                time.sleep(min(self.grace_s, 2.0))
                os.killpg(self.child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        exit_code = code if code >= 0 else 128 - code
        if self.cancel_requested:
            self.state = "CANCELLED"
        else:
            self.state = "SUCCEEDED" if code == 0 else "FAILED"
        self.event("exited", exitCode=exit_code, state=self.state)
        write_atomic(os.path.join(self.tb, "exit_code"), "%d\n" % exit_code)
        self.write_status(exitCode=exit_code, endedAt=now())
        return exit_code


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: supervisor.py RUN_DIR\n")
        sys.exit(2)
    sys.exit(0 if Supervisor(sys.argv[1]).run() == 0 else 1)
