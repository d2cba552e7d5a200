#!/usr/bin/env python3
"""Tunebench sweep scheduler: runs beside a sweep's trials on their host, so a sweep keeps starting,
judging and stopping trials while the laptop is closed.

Python 3.8+ standard library only. Started detached (setsid nohup ... </dev/null) with the sweep's
directory as its only argument. That directory holds:
  sweep.json       what to run (written by the app): the method (grid, random, asha), the objective
                   (metric, goal), the concurrency, the GPUs to pack trials onto, and every trial: its
                   run id and its run directory, already prepared by the app (run.json, supervisor, code).
  decisions.jsonl  what this scheduler decided, one JSON line each, in order: start, continue, stop,
                   complete, ranked (a trial that ended before it was judged), ended, finished,
                   resumed, with the rung, the numbers and a sentence. Appended only,
                   each line with a sequence number, so the app reads it exactly once by byte offset.
  pause / stop     files the app touches: pause starts nothing new; stop also cancels running trials.
  .tb/pid, .tb/heartbeat   this process and its liveness, so the app restarts a scheduler that died.

Restart: the decision file is the state. A new scheduler replays it (ASHA's rungs are rebuilt from the
recorded reports in order) and never starts a trial twice: a start is written before the trial's
supervisor is launched, and on replay a trial whose start is recorded is launched again only when its
supervisor never ran (no .tb/supervisor.log in its run directory).
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asha as asha_lib  # noqa: E402  (beside this file in the sweep's .tb/)

TICK_S = float(os.environ.get("TUNEBENCH_SWEEP_TICK_S", "0.5"))


def now():
    return time.time()


def write_atomic(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def exists(path):
    return os.path.exists(path)


class Trial:
    def __init__(self, spec):
        self.id = spec["id"]
        self.dir = spec["dir"]
        self.params = spec.get("params", {})
        self.started = False
        self.ended = False  # its supervisor left an exit code, or it was stopped and its process is gone
        self.stopping = False
        self.gpus = []
        self.offset = 0
        self.partial = b""
        self.points = []  # (resource, objective value)
        self.resource = None  # the furthest resource it reported

    def exit_code(self):
        try:
            with open(os.path.join(self.dir, ".tb", "exit_code")) as f:
                text = f.read().strip()
            return int(text) if text.lstrip("-").isdigit() else None
        except OSError:
            return None

    def supervisor_ran(self):
        return exists(os.path.join(self.dir, ".tb", "supervisor.log"))

    def read_metrics(self, metric, resource_name):
        """New objective points from the trial's metrics.jsonl (only whole lines; a partial one waits)."""
        path = os.path.join(self.dir, "metrics.jsonl")
        try:
            with open(path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        if not data:
            return
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            try:
                point = json.loads(line)
            except ValueError:
                continue
            m = point.get("m") or {}
            where = point.get("step") if resource_name == "step" else m.get(resource_name)
            if isinstance(where, (int, float)) and not isinstance(where, bool):
                self.resource = where if self.resource is None else max(self.resource, where)
                if metric in m:
                    self.points.append((where, m[metric]))


class Scheduler:
    def __init__(self, sweep_dir):
        self.dir = os.path.abspath(sweep_dir)
        self.tb = os.path.join(self.dir, ".tb")
        os.makedirs(self.tb, exist_ok=True)
        with open(os.path.join(self.dir, "sweep.json")) as f:
            self.spec = json.load(f)
        self.trials = [Trial(t) for t in self.spec["trials"]]
        self.by_id = {t.id: t for t in self.trials}
        method = self.spec["method"]
        self.method = method["name"]
        self.resource_name = method.get("resource", "step")
        objective = self.spec["objective"]
        self.metric = objective["metric"]
        self.goal = objective["goal"]
        self.concurrency = max(1, int(self.spec.get("concurrency", 1)))
        self.gpus = [str(g) for g in (self.spec.get("gpus") or [])]
        self.gpus_per_trial = int(self.spec.get("gpusPerTrial", 1 if self.gpus else 0))
        self.share_gpus = bool(self.spec.get("shareGpus", False))
        self.python = self.spec.get("python", sys.executable)
        self.asha = None
        if self.method == "asha":
            self.asha = asha_lib.Asha(method["min_resource"], method["max_resource"], method.get("eta", 3), self.goal, method.get("early_stop_rate", 0))
        self.decisions_path = os.path.join(self.dir, "decisions.jsonl")
        self.seq = 0
        self.finished = False

    # -- the decision file ------------------------------------------------------------------------------
    def record(self, action, **fields):
        self.seq += 1
        # NaN and infinities are not JSON: the app reads them as no value (the reason says which).
        fields = {k: (None if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))) else v) for k, v in fields.items()}
        line = dict(seq=self.seq, ts=now(), action=action, **fields)
        with open(self.decisions_path, "a") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return line

    def replay(self):
        """Rebuilds the state from the decision file (a restarted scheduler resumes where it was)."""
        try:
            with open(self.decisions_path, "rb") as f:
                raw = f.read()
        except OSError:
            return
        if raw and not raw.endswith(b"\n"):
            # A line cut by a crash: drop it (its decision was not acted on, it is made again).
            raw = raw[: raw.rfind(b"\n") + 1]
            with open(self.decisions_path, "wb") as f:
                f.write(raw)
        for line in raw.splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            self.seq = max(self.seq, int(d.get("seq", 0)))
            trial = self.by_id.get(d.get("trial"))
            action = d.get("action")
            if action == "finished":
                self.finished = True
            if trial is None:
                continue
            if action == "start":
                trial.started = True
                trial.gpus = [str(g) for g in d.get("gpus") or []]
            elif action in ("continue", "stop", "complete", "ranked"):
                if self.asha is not None and d.get("rung") is not None:
                    self.asha.report(trial.id, int(d["rung"]), d.get("value"))
                if action == "stop":
                    trial.stopping = True
            elif action == "ended":
                trial.ended = True
        if self.seq:
            self.record("resumed", reason="the scheduler started again and read %d decisions" % self.seq)

    # -- slots ---------------------------------------------------------------------------------------------
    def running(self):
        return [t for t in self.trials if t.started and not t.ended]

    def free_gpus(self):
        if self.share_gpus:
            return list(self.gpus)
        used = set(g for t in self.running() for g in t.gpus)
        return [g for g in self.gpus if g not in used]

    def start_trial(self, trial, gpus):
        env = dict(os.environ)
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        with open(os.path.join(trial.dir, ".tb", "supervisor.log"), "ab") as log:
            subprocess.Popen([self.python, os.path.join(trial.dir, ".tb", "supervisor.py"), "."], cwd=trial.dir, env=env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def launch_more(self):
        if exists(os.path.join(self.dir, "pause")) or exists(os.path.join(self.dir, "stop")):
            return
        for trial in self.trials:
            if len(self.running()) >= self.concurrency:
                return
            if trial.started:
                continue
            gpus = []
            if self.gpus_per_trial > 0 and self.gpus:
                free = self.free_gpus()
                if len(free) < self.gpus_per_trial:
                    return  # wait for a trial to end and give its GPUs back
                gpus = free[: self.gpus_per_trial]
            # Written (and synced) before the start: a crash in between never starts it twice.
            self.record("start", trial=trial.id, gpus=gpus, params=trial.params,
                        reason="started: %d of %d running%s" % (len(self.running()) + 1, self.concurrency, (" on GPU " + ",".join(gpus)) if gpus else ""))
            trial.started = True
            trial.gpus = gpus
            self.start_trial(trial, gpus)

    # -- judging ---------------------------------------------------------------------------------------------
    def stop_trial(self, trial):
        trial.stopping = True
        try:
            with open(os.path.join(trial.dir, ".tb", "cancel"), "a"):
                pass
        except OSError:
            pass

    def judge(self, trial, code):
        """ASHA: report the trial at every rung it has passed, lowest first; stop it when a rung says so.
        `code` is its exit code once it ended (None while it runs)."""
        done = code is not None
        while not trial.stopping:
            k = self.asha.next_rung(trial.id)
            if k >= len(self.asha.rungs):
                return
            rung = self.asha.rungs[k]
            last = k == len(self.asha.rungs) - 1
            # Strictly past the rung: the objective logged at the rung's own step (an eval after the train
            # line of that step) is then read too, as the file is read in the order it was written. The last
            # rung is the end of training: reached, or a trial that ended by itself (exit 0).
            reached = trial.resource is not None and (trial.resource > rung or (last and trial.resource >= rung))
            if not reached and not (last and code == 0):
                return  # not there yet (a trial that ended before a rung has no report there)
            value = asha_lib.value_at(trial.points, rung)
            if value is None:
                return  # no objective logged by then: nothing to rank it by (yet)
            d = self.asha.report(trial.id, k, value)
            action, reason = d["action"], d["reason"]
            if done and action != "complete":
                # It ended before it was judged here (it ran on while the scheduler was down): its result still
                # counts at the rung for the trials after it, but there is nothing left to stop or continue.
                action = "ranked"
                reason = "ranked at rung %d after it ended: %s (%s of %d; cut-off %s)" % (k, asha_lib._num(value), d["rank"], d["results"], asha_lib._num(d["cutoff"]))
            self.record(action, trial=trial.id, rung=k, resource=d["resource"], value=d["value"], cutoff=d["cutoff"],
                        rank=d["rank"], results=d["results"], keep=d["keep"], reason=reason)
            d["action"] = action
            if d["action"] == "stop":
                self.stop_trial(trial)
            if d["action"] == "complete":
                return

    def tick(self):
        stop_all = exists(os.path.join(self.dir, "stop"))
        for trial in self.trials:
            if not trial.started or trial.ended:
                continue
            if not trial.supervisor_ran():
                # Recorded as started by a scheduler that died before launching it: launch it now.
                self.start_trial(trial, trial.gpus)
                continue
            # The exit code first: it is written once the trial's output is complete, so the metrics read
            # after it are all there are.
            code = trial.exit_code()
            trial.read_metrics(self.metric, self.resource_name)
            if self.asha is not None:
                self.judge(trial, code)
            if stop_all and not trial.stopping:
                self.stop_trial(trial)
                self.record("stop", trial=trial.id, reason="stopped with the sweep")
            if code is not None:
                trial.ended = True
                best = self.best_of(trial)
                self.record("ended", trial=trial.id, exitCode=code, value=best, resource=trial.resource,
                            reason="ended (exit %d)%s" % (code, ", stopped by the sweep" if trial.stopping else ""))
        self.launch_more()
        if all(t.ended or (not t.started and (stop_all)) for t in self.trials) and not self.running():
            self.finish("stopped" if stop_all else "done")

    def best_of(self, trial):
        values = [v for _, v in trial.points if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
        if not values:
            return None
        return min(values) if self.goal == "minimize" else max(values)

    def finish(self, how):
        # Trials trained to the end are compared with each other; one stopped early is only a fallback
        # (its value is from fewer steps, so it is not a fair match for a finished one).
        scored = [(self.best_of(t), t) for t in self.trials if t.started and not t.stopping]
        scored = [(v, t) for v, t in scored if v is not None] or [(v, t) for v, t in ((self.best_of(t), t) for t in self.trials if t.started) if v is not None]
        best = None
        if scored:
            v, t = (min if self.goal == "minimize" else max)(scored, key=lambda s: s[0])
            best = {"trial": t.id, "value": v, "params": t.params}
        self.record("finished", best=best, reason="the sweep is %s: %d trials ran%s" % (
            how, sum(1 for t in self.trials if t.started), (", best %s = %s" % (self.metric, best["value"])) if best else ""))
        self.finished = True

    # -- the loop ----------------------------------------------------------------------------------------------
    def run(self):
        # One scheduler per sweep, ever: a second one started while the first lives (the app restarting
        # one it thought dead) leaves at once, so no trial is started twice.
        self.lock = open(os.path.join(self.tb, "lock"), "a")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("another scheduler runs this sweep; leaving it to that one", file=sys.stderr)
            return 0
        write_atomic(os.path.join(self.tb, "pid"), "%d\n" % os.getpid())
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the decision file is the state: nothing to save
        self.replay()
        while not self.finished:
            with open(os.path.join(self.tb, "heartbeat"), "a"):
                os.utime(os.path.join(self.tb, "heartbeat"))
            self.tick()
            if not self.finished:
                time.sleep(TICK_S)
        write_atomic(os.path.join(self.tb, "exit_code"), "0\n")
        return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(Scheduler(sys.argv[1]).run())
