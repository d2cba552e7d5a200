#!/usr/bin/env python3
"""Tunebench run supervisor: owns one run's process group on the host that runs it.

Python 3.8+ standard library only. Started detached (setsid nohup ... </dev/null) with the run
directory as its only argument. It starts the run's command in its own session, turns '\r'
progress output into lines in logs/output.log, writes .tb/pid (pid and process start time, so a
reused pid is never mistaken for the run), touches .tb/heartbeat, keeps .tb/status.json (atomic
rename), samples GPUs into sys.jsonl, and on cancel (.tb/cancel appears, or SIGTERM to this
process) signals the whole group, then kills it after the grace period.

Under SLURM (SLURM_JOB_ID is set: the supervisor is the batch job's body) it also:
- continues the same files on a requeued attempt (SLURM_RESTART_COUNT), saying so in the log;
- on USR2 (SLURM's warning before the time limit, or at preemption) or a TERM without a cancel file,
  asks the trainer to checkpoint (.tb/checkpoint_request, which the SDK and the HF hook read), waits
  for it to stop, requeues the job with `scontrol requeue` and leaves no exit code: the run goes on
  in the next attempt;
- on several nodes, runs the command once per node under srun (labelled output, kept per rank in
  logs/rank-N.log), with the head node's address and a rendezvous port derived from the job id, after
  each node checks that it reaches the head.
"""
import json
import os
import re
from shlex import quote as shlex_quote
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


def slurm_env():
    return os.environ.get("SLURM_JOB_ID")


def scontrol(*args):
    try:
        r = subprocess.run(["scontrol"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=30)
        return r.returncode, (r.stdout + r.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return 127, str(e)


def head_address():
    """The first node's address: its NodeAddr (names of compute nodes often do not resolve)."""
    nodelist = os.environ.get("SLURM_JOB_NODELIST") or os.environ.get("SLURM_NODELIST") or ""
    code, out = scontrol("show", "hostnames", nodelist)
    head = out.split()[0] if code == 0 and out.split() else os.environ.get("SLURMD_NODENAME", "localhost")
    code, out = scontrol("show", "node", head, "-o")
    m = re.search(r"\bNodeAddr=(\S+)", out) if code == 0 else None
    return head, (m.group(1) if m else head)


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
        # Re-entrant: SLURM's TERM reaches this process twice (directly and through the batch shell's
        # trap), and a second handler can run inside the first one's critical section.
        self.lock = threading.RLock()
        self.preempt_pending = None
        self.events = open(os.path.join(self.dir, "events.jsonl"), "a", buffering=1)
        self.sys_seq = self._last_seq(os.path.join(self.dir, "sys.jsonl"))
        self.job_id = slurm_env()
        self.attempt = int(os.environ.get("SLURM_RESTART_COUNT") or 0) if self.job_id else 0
        self.nodes = int(os.environ.get("SLURM_JOB_NUM_NODES") or os.environ.get("SLURM_NNODES") or 1) if self.job_id else 1
        self.preempting = None
        self.preempt_at = 0.0
        self.rank_logs = {}

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
        if self.job_id:
            status.update({"jobId": self.job_id, "attempt": self.attempt, "node": os.environ.get("SLURMD_NODENAME")})
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

    def preempt(self, why):
        """SLURM is about to stop the job (time limit or preemption): checkpoint, stop, requeue."""
        with self.lock:
            if self.preempting or self.cancel_requested:
                return
            if self.child is None:
                # Before the command started (a multi-node job asks scontrol first): keep it for then.
                self.preempt_pending = why
                return
            self.preempting = why
            self.preempt_at = now()
            self.state = "PREEMPTING"
            write_atomic(os.path.join(self.tb, "checkpoint_request"), "%f\n" % now())
            self.event("preempt_requested", reason=why, attempt=self.attempt)
            self.write_status()
        threading.Thread(target=self._stop_for_requeue, daemon=True).start()

    def _stop_for_requeue(self):
        # The trainer checkpoints and exits by itself when it sees the request; one that does not is
        # stopped like a cancel (SIGTERM to its group, SIGKILL after the grace period).
        deadline = now() + self.grace_s
        while now() < deadline:
            if self.child.poll() is not None:
                return
            time.sleep(0.2)
        try:
            os.killpg(self.child.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = now() + 10
        while now() < deadline and self.child.poll() is None:
            time.sleep(0.2)
        try:
            os.killpg(self.child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def checkpointed_since(self, ts):
        """Whether the trainer recorded a checkpoint (checkpoint_saved) after `ts`: its answer to the request."""
        try:
            with open(os.path.join(self.dir, "events.jsonl"), "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 262144))
                lines = f.read().splitlines()
        except OSError:
            return False
        for line in reversed(lines):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "checkpoint_saved" and float(e.get("ts", 0)) >= ts:
                return True
        return False

    def on_term(self):
        if self.job_id and not os.path.exists(os.path.join(self.tb, "cancel")):
            # SLURM's TERM at preemption or at the time limit, or scancel from outside Tunebench: keep what
            # the trainer can save; the queue says afterwards which it was.
            self.preempt("SIGTERM from SLURM")
        else:
            self.cancel("SIGTERM to supervisor")

    def slurm_ending(self):
        """SLURM's state of this job when SLURM is ending it (scancel, preemption, time limit), else None."""
        code, show = scontrol("show", "job", "-o", self.job_id)
        state = re.search(r"\bJobState=(\S+)", show)
        state = state.group(1) if state else ""
        return state if state.split("+")[0] in ("CANCELLED", "COMPLETING", "COMPLETED", "TIMEOUT", "FAILED", "NODE_FAIL", "PREEMPTED") else None

    def requeue(self):
        """After a checkpoint: put the job back in the queue. No exit code: the run is not over.

        Returns "requeued", "ending" (SLURM ends the job itself: scancel, or a preemption it requeues on
        its own) or "failed"."""
        state = self.slurm_ending()
        if state:
            # SLURM is ending the job already: scancel (never requeue that), or a preemption that SLURM
            # requeues itself. Leave no exit code: the queue says which it was.
            self.event("ending_without_requeue", attempt=self.attempt, jobState=state, reason=self.preempting)
            return "ending"
        self.state = "REQUEUING"
        self.write_status()
        code, out = scontrol("requeue", self.job_id)
        if code == 0:
            self.event("requeued", attempt=self.attempt, reason=self.preempting)
            return "requeued"
        # Preemption requeues the job itself, and then scontrol refuses: ask what the job is doing.
        code2, show = scontrol("show", "job", "-o", self.job_id)
        state = re.search(r"\bJobState=(\S+)", show)
        state = state.group(1) if state else ""
        if state in ("PREEMPTED", "REQUEUED", "REQUEUE_HOLD", "PENDING", "SUSPENDED") or "Preempt" in show:
            self.event("requeued", attempt=self.attempt, reason=self.preempting, by="slurm", jobState=state)
            return "requeued"
        self.event("requeue_failed", error=out[-500:], jobState=state)
        return "failed"

    def start_head_listener(self, port):
        """Each node checks that it reaches the head before starting: a bad route fails in seconds, not at NCCL's timeout."""
        import socket
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            srv.bind(("0.0.0.0", port))
        except OSError as e:
            self.event("preflight_listener_failed", port=port, error=str(e))
            return
        srv.listen(64)

        def serve():
            while True:
                try:
                    c, _ = srv.accept()
                    c.sendall(b"tunebench-head\n")
                    c.close()
                except OSError:
                    return
        threading.Thread(target=serve, daemon=True).start()

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
                log.write(self.ranked(head) + b"\n")
                log.flush()
        if pending:
            tick()
            log.write(self.ranked(pending) + b"\n")
        log.close()
        clock.close()
        for f in self.rank_logs.values():
            f.close()

    def ranked(self, block):
        """On several nodes srun labels each line "N: ": kept as "[rank N] " in the run's log and per rank in logs/rank-N.log."""
        if self.nodes <= 1:
            return block
        out = []
        for line in block.split(b"\n"):
            m = re.match(rb"^\s*(\d+): ?(.*)$", line, re.S)
            if not m:
                out.append(line)
                continue
            rank, text = m.group(1).decode(), m.group(2)
            f = self.rank_logs.get(rank)
            if f is None:
                f = self.rank_logs[rank] = open(os.path.join(self.dir, "logs", "rank-%s.log" % rank), "ab")
            f.write(text + b"\n")
            f.flush()
            out.append(b"[rank " + rank.encode() + b"] " + text)
        return b"\n".join(out)

    def run(self):
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        if self.job_id:
            # The batch shell passes SLURM's signals to this pid (the Python setting may be a command line).
            write_atomic(os.path.join(self.tb, "supervisor.pid"), "%d\n" % os.getpid())
        if os.path.exists(os.path.join(self.tb, "exit_code")):
            # A job requeued after its run had finished (a node failure in the epilogue): nothing to redo.
            self.event("already_finished", attempt=self.attempt)
            return 0
        signal.signal(signal.SIGTERM, lambda *_: self.on_term())
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if self.job_id:
            signal.signal(signal.SIGUSR2, lambda *_: self.preempt("USR2 from SLURM (time limit or preemption)"))
            try:
                os.remove(os.path.join(self.tb, "checkpoint_request"))
            except OSError:
                pass
            if self.attempt > 0:
                with open(os.path.join(self.dir, "logs", "output.log"), "ab") as log:
                    log.write(("[tunebench] attempt %d of job %s on %s: the job was requeued; the recipe resumes from its last checkpoint\n"
                               % (self.attempt + 1, self.job_id, os.environ.get("SLURMD_NODENAME", "?"))).encode())
        env = dict(os.environ)
        env.update({k: str(v) for k, v in (self.spec.get("env") or {}).items()})
        lib = os.path.join(self.tb, "lib")
        env["PYTHONPATH"] = lib + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        env["TUNEBENCH_RUN_DIR"] = self.dir
        env["TUNEBENCH_RUN_ID"] = str(self.spec.get("id", ""))
        env["TUNEBENCH_METRICS_FILE"] = os.path.join(self.dir, "metrics.jsonl")
        env["TUNEBENCH_ATTEMPT"] = str(self.attempt)
        command = self.spec["command"]
        cwd = os.path.join(self.dir, self.spec.get("cwd", "."))
        if self.job_id and self.nodes > 1:
            head, addr = head_address()
            # Two ports per job (rendezvous, preflight), so consecutive job ids on one head never share one.
            port = 20000 + (int(re.sub(r"\D", "", self.job_id) or 0) % 10000) * 2
            env.update({"TB_HEAD_NODE": head, "TB_HEAD_ADDR": addr, "TB_RDZV_PORT": str(port), "TB_RDZV_ENDPOINT": "%s:%d" % (addr, port),
                        "TB_NNODES": str(self.nodes), "MASTER_ADDR": addr, "MASTER_PORT": str(port)})
            self.start_head_listener(port + 1)
            self.event("nodes", head=head, headAddr=addr, port=port, nodes=self.nodes)
            inner = command if isinstance(command, str) else " ".join(shlex_quote(a) for a in command)
            command = ["srun", "--nodes=%d" % self.nodes, "--ntasks=%d" % self.nodes, "--ntasks-per-node=1", "--kill-on-bad-exit=1",
                       "--label", sys.executable, os.path.join(self.tb, "node_task.py"), inner]
        try:
            self.child = subprocess.Popen(command, shell=isinstance(command, str), cwd=cwd, env=env,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            self.state = "FAILED"
            self.event("start_failed", error=str(e))
            self.write_status(exitCode=127, error=str(e), endedAt=now())
            write_atomic(os.path.join(self.tb, "exit_code"), "127\n")
            return 127
        write_atomic(os.path.join(self.tb, "pid"), "%d %s\n" % (self.child.pid, process_start_time(self.child.pid)))
        self.state = "RUNNING"
        if self.preempt_pending:
            self.preempt(self.preempt_pending)
        if self.job_id:
            self.event("started", pid=self.child.pid, attempt=self.attempt, jobId=self.job_id, node=os.environ.get("SLURMD_NODENAME"))
        else:
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
        # A cancel asked through the cancel file counts even when the command died first (scancel's TERM
        # can reach it before this process runs its handler).
        if not self.cancel_requested and os.path.exists(os.path.join(self.tb, "cancel")):
            self.cancel_requested = True
        if self.job_id and not self.cancel_requested and not self.preempting and code < 0:
            # Killed by a signal while SLURM ends the job (scancel outside Tunebench, preemption, the time
            # limit): SLURM's TERM reached the command first. Leave no exit code; the queue says which.
            ending = self.slurm_ending()
            if ending:
                self.event("ending_without_requeue", attempt=self.attempt, jobState=ending, reason="the command was stopped by SLURM")
                self.state = "STOPPED_BY_SLURM"
                self.write_status()
                return 0
        if self.preempting and not self.cancel_requested and exit_code == 0 and not self.checkpointed_since(self.preempt_at):
            # The command finished on its own while the checkpoint was asked for: the run is done, not
            # interrupted (requeueing it would run it again from an older checkpoint).
            self.event("finished_before_checkpoint", attempt=self.attempt)
            self.preempting = None
        if self.preempting and not self.cancel_requested:
            self.event("stopped_for_requeue", exitCode=exit_code, attempt=self.attempt)
            outcome = self.requeue()
            if outcome == "requeued":
                # SLURM ends this attempt; the next one continues the same files.
                time.sleep(5)
                return 0
            if outcome == "ending":
                self.state = "STOPPED_BY_SLURM"
                self.write_status()
                return 0
            self.state = "FAILED"
            self.event("exited", exitCode=exit_code or 1, state=self.state, error="the job could not be requeued")
            self.write_status(exitCode=exit_code or 1, endedAt=now(), error="SLURM refused to requeue the job; its last checkpoint is kept")
            write_atomic(os.path.join(self.tb, "exit_code"), "%d\n" % (exit_code or 1))
            return exit_code or 1
        if self.cancel_requested:
            self.state = "CANCELLED"
        else:
            self.state = "SUCCEEDED" if code == 0 else "FAILED"
        self.event("exited", exitCode=exit_code, state=self.state)
        # The final state before the exit code: the app reads a run as ended once the exit code is there, and
        # takes how it ended (CANCELLED, ...) from the status; the other order let it read a cancel as FAILED.
        self.write_status(exitCode=exit_code, endedAt=now())
        write_atomic(os.path.join(self.tb, "exit_code"), "%d\n" % exit_code)
        return exit_code


if __name__ == "__main__":
    os.umask(0o077)  # logs, checkpoints and outputs of the run (and its children's) private on a shared host
    if len(sys.argv) != 2:
        sys.stderr.write("usage: supervisor.py RUN_DIR\n")
        sys.exit(2)
    sys.exit(0 if Supervisor(sys.argv[1]).run() == 0 else 1)
