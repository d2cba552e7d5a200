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

On a SLURM cluster (sweep.json "backend": "slurm") the scheduler is itself a small CPU job, and a trial
is a job of its own: "start" is `sbatch` of the trial's batch script, already written by the app into
its run directory (job name tb-<run id>, so the app's queue reading adopts it); the job id is kept in
the trial's .tb/job_id and in a "submitted" decision (which the app reads to follow the job); "stop" is
the cancel file plus `scancel`; a slot is a trial queued or running (SLURM packs the GPUs: each trial's
job asks for its --gres). A trial whose job left the queue without an exit code has ended.

Restart: the decision file is the state. A new scheduler replays it (ASHA's rungs are rebuilt from the
recorded reports in order) and never starts a trial twice: a start is written before the trial's
supervisor is launched, and on replay a trial whose start is recorded is launched again only when its
supervisor never ran (no .tb/supervisor.log in its run directory). On SLURM a trial is submitted
again only when no job of it is known: none recorded (.tb/job_id, a "submitted" decision), none in the
queue under its job name, and its supervisor never ran.
"""
import fcntl
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asha as asha_lib  # noqa: E402  (beside this file in the sweep's .tb/)

TICK_S = float(os.environ.get("TUNEBENCH_SWEEP_TICK_S", "0.5"))
# SLURM: how often the queue is read (one squeue for all trials), and how long a job that SLURM ended
# may take to leave its supervisor's exit code before the trial counts as ended without one.
SQUEUE_S = float(os.environ.get("TUNEBENCH_SWEEP_SQUEUE_S", "2"))
JOB_END_GRACE_S = 15.0
# SLURM: how long a stopped trial's supervisor has to end it through the cancel file (its own grace is 30 s
# of SIGTERM before SIGKILL) before the scheduler scancels the job.
CANCEL_GRACE_S = 45.0
# Job states in which a job may still run (or run again: requeued, preempted with requeue).
SLURM_ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                "RESV_DEL_HOLD", "STAGE_OUT", "SIGNALING", "RESIZING", "STOPPED", "PREEMPTED"}


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
        # SLURM: the trial's job, when it ended without an exit code (seen final or gone), and whether its
        # scancel went through.
        self.job = None
        self.job_final_since = None
        self.cancel_sent = False
        self.stop_at = 0.0  # when this scheduler stopped it (0: a stop it read from the decisions)
        self.submit_errors = 0
        self.submitted_at = 0.0
        self.retry_at = 0.0  # a failed sbatch is tried again from then on

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
        self.slurm = self.spec.get("backend") == "slurm"
        self.trial_script = self.spec.get("trialScript", ".tb/job.sbatch")
        self.trial_resources = self.spec.get("trialResources")
        self.jobs = None  # the last squeue: job id -> (state, name)
        self.jobs_at = 0.0  # when that squeue was started

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
            elif action == "submitted" and d.get("job"):
                trial.job = str(d["job"])
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
        if self.slurm:
            self.submit(trial)
            return
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

    # -- SLURM: a trial is a job ------------------------------------------------------------------------
    def run_slurm(self, args, cwd=None):
        """A SLURM client command. This scheduler is itself a job: its own SLURM_* variables (job id, CPUs,
        memory) must not leak into the trials' jobs, so they are left out (SLURM_CONF stays)."""
        env = {k: v for k, v in os.environ.items()
               if k == "SLURM_CONF" or not k.startswith(("SLURM_", "SBATCH_", "SQUEUE_", "SRUN_", "SALLOC_"))}
        try:
            p = subprocess.run(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60, universal_newlines=True)
            return p.returncode, p.stdout, p.stderr
        except (OSError, subprocess.SubprocessError) as e:
            return 127, "", str(e)

    def queue(self, fresh=False):
        """The user's jobs, job id -> (state, name): one squeue for all trials, at most every SQUEUE_S unless
        `fresh`. None when squeue does not answer (then nothing is decided from the queue)."""
        if not fresh and now() - self.jobs_at < SQUEUE_S:
            return self.jobs
        started = now()
        code, out, err = self.run_slurm(["squeue", "-h", "-t", "all", "-u", pwd.getpwuid(os.getuid()).pw_name, "-o", "%i|%T|%j"])
        self.jobs_at = started
        if code != 0:
            print("squeue failed (exit %d): %s" % (code, err.strip()[-300:]), file=sys.stderr)
            self.jobs = None
            return None
        jobs = {}
        for line in out.splitlines():
            parts = line.strip().split("|", 2)
            if len(parts) == 3 and parts[0]:
                jobs[parts[0]] = (parts[1].split()[0].upper() if parts[1].strip() else "", parts[2])
        self.jobs = jobs
        return jobs

    def submit(self, trial):
        """sbatch of the trial's batch script (the app wrote it into the run directory, job name tb-<run id>).
        The job id goes to the trial's .tb/job_id first, then into a "submitted" decision."""
        trial.retry_at = now() + 2.0
        code, out, err = self.run_slurm(["sbatch", "--parsable", self.trial_script], cwd=trial.dir)
        ids = [m.group(1) for m in (re.match(r"^(\d+)(;[\w.-]+)?$", l.strip()) for l in out.splitlines()) if m]
        if code == 0 and ids:
            self.adopt(trial, ids[-1], "submitted as SLURM job %s" % ids[-1])
            trial.submitted_at = now()
            return
        said = " ".join(l.replace("sbatch: error: ", "").strip() for l in (err or out).splitlines() if l.strip())[:500] or "no output"
        trial.submit_errors += 1
        transient = code == 127 or re.search(r"timed out|unable to contact|try again|temporarily|busy", said, re.I)
        print("sbatch of trial %s failed (exit %d): %s" % (trial.id, code, said), file=sys.stderr)
        if not transient or trial.submit_errors >= 5:
            trial.ended = True
            self.record("ended", trial=trial.id, exitCode=None, error="SLURM refused the trial's job: %s" % said,
                        reason="not run: SLURM refused its job (%s)" % said)

    def adopt(self, trial, job, reason):
        trial.job = job
        try:
            write_atomic(os.path.join(trial.dir, ".tb", "job_id"), "%s\n" % job)
        except OSError:
            pass
        self.record("submitted", trial=trial.id, job=job, resources=self.trial_resources, reason=reason)

    def ensure_submitted(self, trial):
        """A trial recorded as started whose job is not known (the scheduler died between its start and its
        "submitted", or sbatch failed). Never twice: its recorded job id, then a job in the queue under its
        name, then a supervisor that ran, and only then a new sbatch. True once the trial has a job."""
        try:
            with open(os.path.join(trial.dir, ".tb", "job_id")) as f:
                recorded = f.read().strip()
        except OSError:
            recorded = ""
        if recorded:
            self.adopt(trial, recorded, "job %s was submitted before the scheduler restarted (its run directory says so)" % recorded)
            return True
        if now() < trial.retry_at:
            return False
        jobs = self.queue(fresh=True)
        if jobs is None:
            return False  # cannot tell whether it was submitted: ask again next tick
        named = sorted((j for j, (_, name) in jobs.items() if name == "tb-" + trial.id), key=lambda j: [int(x) for x in re.findall(r"\d+", j)])
        if named:
            self.adopt(trial, named[-1], "job %s was submitted before the scheduler restarted (found in the queue by its name)" % named[-1])
            return True
        if trial.supervisor_ran() or trial.exit_code() is not None:
            trial.job = ""  # it ran and its job has left the queue: its exit code (or its absence) says the rest
            return True
        if trial.stopping:
            trial.ended = True  # stopped before its job was ever submitted: nothing to run
            self.record("ended", trial=trial.id, exitCode=None, reason="ended before its job was submitted, stopped by the sweep")
            return False
        self.submit(trial)
        return trial.job is not None

    def scancel(self, trial):
        if not trial.job:
            trial.cancel_sent = trial.job == ""  # ran, job gone: the cancel file is all there is to do
            return
        code, _, err = self.run_slurm(["scancel", trial.job])
        trial.cancel_sent = code == 0 or bool(re.search(r"Invalid job id|already completed|has already finished", err, re.I))

    def job_ended(self, trial):
        """SLURM ended the trial's job and its supervisor left no exit code: a job cancelled while queued ends
        at once; one that ran gets JOB_END_GRACE_S to write its exit code first."""
        jobs = self.queue()
        if jobs is None or self.jobs_at <= trial.submitted_at:
            return None
        line = jobs.get(trial.job) if trial.job else None
        if line and line[1] != "tb-" + trial.id:
            line = None  # the id names another job now
        if line and line[0] in SLURM_ACTIVE:
            trial.job_final_since = None
            return None
        if trial.job_final_since is None:
            trial.job_final_since = now()
        state = line[0] if line else "gone from the queue"
        if not trial.supervisor_ran() or now() - trial.job_final_since >= JOB_END_GRACE_S:
            return state
        return None

    # -- judging ---------------------------------------------------------------------------------------------
    def stop_trial(self, trial):
        trial.stopping = True
        try:
            with open(os.path.join(trial.dir, ".tb", "cancel"), "a"):
                pass
        except OSError:
            pass
        trial.stop_at = now()
        # A job still queued is cancelled at once. One whose supervisor runs is stopped by the supervisor
        # itself, which watches the cancel file and records the run as cancelled: a scancel at the same
        # moment raced it (SLURM's TERM could end the job first, and the run ended FAILED). scancel follows
        # only if the job is still there after the grace (see tick).
        if self.slurm and not trial.supervisor_ran():
            self.scancel(trial)

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
            if self.slurm:
                if trial.job is None and not self.ensure_submitted(trial):
                    continue
                if trial.stopping and not trial.cancel_sent and trial.exit_code() is None and (
                        not trial.supervisor_ran() or now() - trial.stop_at >= CANCEL_GRACE_S):
                    # Queued still, or its supervisor did not end it within the grace (or the stop was recorded
                    # by a scheduler that died before acting on it, or a scancel failed).
                    self.scancel(trial)
            elif not trial.supervisor_ran():
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
                queued = self.slurm and not trial.supervisor_ran()
                self.stop_trial(trial)
                self.record("stop", trial=trial.id, reason="stopped with the sweep", **({"queued": True, "job": trial.job} if queued else {}))
            if code is None and self.slurm:
                state = self.job_ended(trial)
                if state:
                    trial.ended = True
                    self.record("ended", trial=trial.id, exitCode=None, job=trial.job, value=self.best_of(trial), resource=trial.resource,
                                reason="ended: its job %s is %s and the trial left no exit code%s" % (
                                    trial.job or "", state.lower() if state.isupper() else state, ", stopped by the sweep" if trial.stopping else ""))
                    continue
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
        self.record("finished", best=best, how=how, reason="the sweep is %s: %d trials ran%s" % (
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
        print("%s scheduler %d started%s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid(),
              (" as SLURM job " + os.environ["SLURM_JOB_ID"]) if os.environ.get("SLURM_JOB_ID") else ""), file=sys.stderr, flush=True)

        def on_term(*_):
            print("%s scheduler %d: SIGTERM, leaving" % (time.strftime("%Y-%m-%dT%H:%M:%S"), os.getpid()), file=sys.stderr, flush=True)
            sys.exit(0)  # the decision file is the state: nothing to save
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, on_term)
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
