// Sweeps across several hosts, driven by this app. No one host can run the scheduler beside every trial,
// so the engine does what resources/remote/sweep_scheduler.py does on one host: it launches trials
// through the normal launcher onto whichever host has a free slot, reads their objective from the
// tracker's database (the runs are streamed as any run is), judges each trial with ASHA (asha.ts, the
// same rules as asha.py) when it reports at a rung, stops losers through the normal cancel path and
// records every decision, with the same sentences, in the sweep's decisions table. Such a sweep waits
// while the app is closed: trials that run go on, nothing new starts and nobody is judged.
//
// Restart: the stored decisions are the state. Each decision is recorded once (an immediate transaction
// decides on the lines stored so far), ASHA's rungs are rebuilt by replaying them in order, and a trial
// is launched only while its sweep_trials row names no run: the run is recorded with the trial's start
// in the same transaction, the moment the launcher creates it, before anything reaches the host.
import { randomUUID } from 'node:crypto';
import type { Project } from '../../shared/domain/project';
import { FINAL_STATUSES, type Run } from '../../shared/domain/run';
import { sweepHostNames, type Sweep, type SweepSpec } from '../../shared/domain/sweep';
import { EngineError } from '../errors';
import type { Host } from '../../shared/domain/host';
import { launchRun } from '../runs/launcher';
import { getRecipe } from '../recipes';
import { Asha, formatValue, valueAt } from './asha';
import { checkAgainstRecipe, trialParams } from './space';
import type { SweepDeps } from './sweep-service';
import { CONTROL_FROM, type DecisionLine } from './sweep-store';

/** How long one engine holds a sweep without renewing it (it renews every tick). */
const HOLD_MS = 15_000;

const JUDGED = new Set(['continue', 'stop', 'complete', 'ranked']);
const DRIVER_ERROR = 'Driving the sweep:';
/** A host a launch could not reach gets no trial for this long (the others take them). */
const UNREACHABLE_MS = 30_000;

/** A sweep file naming several hosts: checked as a one-host sweep is, against every host. */
export function createAppDrivenSweep(deps: SweepDeps, spec: SweepSpec, fileName: string): Sweep {
  const project = deps.projects.get(spec.project);
  const hosts = sweepHostNames(spec).map((name) => deps.hosts.get(name));
  for (const host of hosts)
    if (host.slurm) throw new EngineError('SWEEP_INVALID', `${fileName}: host ${host.name} is a SLURM cluster; a sweep across several hosts runs on workstations (SSH hosts) for now.`);
  if (new Set(hosts.map((h) => h.id)).size !== hosts.length) throw new EngineError('SWEEP_INVALID', `${fileName}: hosts: names one host twice.`);
  const recipe = getRecipe(spec.recipe);
  const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
  const trials = checkAgainstRecipe(spec, fileName, recipe, trialParams(spec, fileName, seed));
  const name = spec.name ?? `${recipe.name}-${spec.method.name}-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const id = deps.sweeps.create({ name, projectId: project.id, hostId: hosts[0]!.id, hostIds: hosts.map((h) => h.id), recipe: recipe.name, spec: { ...spec, seed }, trials });
  deps.onSweepChanged(id);
  return deps.sweeps.get(id);
}

/**
 * The GPUs a new trial gets on a host, by nvidia-smi index: gpus_per_trial of those no running trial of
 * the sweep holds (with share_gpus, the least used). Null where the host has no GPUs as far as its last
 * probe knows, or trials ask for none; undefined when there are too few free (the host is full).
 */
export function gpusFor(gpus: number[], spec: SweepSpec, held: (number | string)[][]): number[] | null | undefined {
  const perTrial = spec.gpus_per_trial ?? (gpus.length ? 1 : 0);
  if (perTrial === 0 || gpus.length === 0) return null;
  const uses = new Map(gpus.map((g) => [g, 0]));
  for (const list of held) for (const g of list) if (uses.has(Number(g))) uses.set(Number(g), uses.get(Number(g))! + 1);
  const order = [...uses].filter(([, n]) => spec.share_gpus || n === 0).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return order.length >= perTrial ? order.slice(0, perTrial).map(([g]) => g) : undefined;
}

/** How many of a sweep's trials a host with these GPUs can take at once: one per gpus_per_trial GPUs, unless GPUs are shared. */
function slotsOn(gpus: number[], spec: SweepSpec): number {
  const perTrial = spec.gpus_per_trial ?? (gpus.length ? 1 : 0);
  if (perTrial === 0 || spec.share_gpus) return Infinity;
  return Math.floor(gpus.length / perTrial);
}

/**
 * Each host's GPUs (nvidia-smi indices) as its last probe saw them. Read once for all the hosts: every
 * call reads and checks every host's last probe.
 */
function gpusOf(deps: SweepDeps, hosts: Host[]): Map<string, number[]> {
  const probes = deps.hosts.lastProbes();
  return new Map(hosts.map((h) => [h.id, (probes.find((p) => p.hostId === h.id)?.probe?.gpus ?? []).map((g) => g.index)]));
}

/** Starting checks that every host can take a trial; the driver launches them from its next tick. */
export function startAppDrivenSweep(deps: SweepDeps, sweep: Sweep): Sweep {
  if (sweep.status !== 'DRAFT')
    throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} is ${sweep.status.toLowerCase()}: only a sweep not started yet can be started. Pause, resume or stop it instead.`);
  const hosts = sweep.hostIds.map((id) => deps.hosts.get(id));
  const gpus = gpusOf(deps, hosts);
  if (hosts.every((h) => slotsOn(gpus.get(h.id)!, sweep.spec) === 0)) {
    throw new EngineError(
      'SWEEP_INVALID',
      `Each trial asks for ${sweep.spec.gpus_per_trial} GPU(s) and none of ${hosts.map((h) => h.name).join(', ')} has that many as far as Tunebench knows (probe them: tunebench host probe NAME). Set gpus_per_trial lower.`,
    );
  }
  deps.sweeps.setRunning(sweep.id);
  deps.onSweepChanged(sweep.id);
  return deps.sweeps.get(sweep.id);
}

/** Pause (launch nothing new), resume, or stop (cancel what runs): the driver acts on the status. */
export function controlAppDrivenSweep(deps: SweepDeps, sweep: Sweep, action: 'pause' | 'resume' | 'stop'): Sweep {
  const allowed = CONTROL_FROM[action];
  if (!allowed.includes(sweep.status)) throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} is ${sweep.status.toLowerCase()}: it cannot be ${action === 'stop' ? 'stopped' : action + 'd'} now.`);
  const started = sweep.trials.some((t) => t.runId);
  const next = action === 'pause' ? 'PAUSED' : action === 'resume' ? 'RUNNING' : sweep.status === 'DRAFT' ? 'STOPPED' : started ? 'STOPPING' : 'STOPPED';
  deps.sweeps.setStatus(sweep.id, next);
  if (next === 'STOPPED' && sweep.status !== 'DRAFT') deps.sweeps.record(sweep.id, () => ({ action: 'finished', best: null, reason: 'the sweep is stopped: 0 trials ran' }));
  deps.onSweepChanged(sweep.id);
  return deps.sweeps.get(sweep.id);
}

interface TrialState {
  index: number;
  params: Record<string, unknown>;
  runId: string | null;
  run: Run | null;
  started: boolean;
  stopping: boolean;
  ended: boolean;
  /** The GPUs its start decision gave it (on its host), if any. */
  gpus: (number | string)[];
}

/** Drives every app-driven sweep while the engine is open: one pass per tick, never two at once for a sweep. */
export class AppSweepDriver {
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<string>();
  /** Sweeps this engine has driven since it opened: the first pass over one says that it resumed. */
  private readonly seen = new Set<string>();
  /** This engine, for the hold on a sweep (two open engines never both drive one). */
  private readonly owner = randomUUID();
  /** Runs this engine is launching now: any other run of a trial still QUEUED was cut off by a closed app. */
  private readonly launching = new Set<string>();
  /** Until when this engine holds each sweep: renewed when half of it is gone, not written every tick. */
  private readonly heldUntil = new Map<string, number>();
  /** Hosts a launch could not reach lately, and until when the other hosts get the trials. */
  private readonly unreachable = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly deps: SweepDeps,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  /** The engine closes: no new pass, and a pass in flight launches nothing more. */
  stop(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const id of this.deps.sweeps.activeAppDrivenIds()) this.deps.sweeps.releaseDriver(id, this.owner);
  }

  private tick(): void {
    for (const id of this.deps.sweeps.activeAppDrivenIds()) {
      if (this.busy.has(id)) continue; // the previous pass is still launching or cancelling
      if (!this.hold(id)) continue; // another open engine drives it
      this.busy.add(id);
      this.pass(id)
        .catch((err: unknown) => {
          if (this.closed) return; // the database closed under a pass in flight: the next engine resumes
          // A host that cannot be reached now is tried again next tick; the sweep says why it waits.
          try {
            this.deps.sweeps.setLastError(id, `${DRIVER_ERROR} ${err instanceof Error ? err.message : String(err)} (tried again in a moment).`);
            this.deps.onSweepChanged(id);
          } catch {
            // closing
          }
        })
        .finally(() => this.busy.delete(id));
    }
  }

  private hold(id: string): boolean {
    const now = Date.now();
    if ((this.heldUntil.get(id) ?? 0) - now > HOLD_MS / 2) return true;
    if (!this.deps.sweeps.holdDriver(id, this.owner, HOLD_MS)) return false;
    this.heldUntil.set(id, now + HOLD_MS);
    return true;
  }

  /** One pass: judge what reported, note what ended, launch into free slots, finish when all is done. */
  async pass(id: string): Promise<void> {
    const deps = this.deps;
    let changed = false;
    const record = (decide: (lines: DecisionLine[]) => Omit<DecisionLine, 'seq' | 'ts'> | null, trialRun?: { index: number; runId: string | null }) => {
      const line = deps.sweeps.record(id, decide, trialRun);
      if (line) {
        changed = true;
        if (line.trial) deps.onChanged(line.trial);
      }
      return line;
    };
    try {
      let sweep = deps.sweeps.get(id);
      if (!this.seen.has(id)) {
        this.seen.add(id);
        record((lines) => (lines.length ? { action: 'resumed', reason: `the app opened again and read ${lines.length} decisions` } : null));
      }
      const project = deps.projects.get(sweep.projectId);
      const { metric, goal } = project.objective;
      const method = sweep.spec.method;
      const resource = method.name === 'asha' ? method.resource : 'step';
      const newAsha = () => (method.name === 'asha' ? new Asha(method.min_resource, method.max_resource, method.eta, goal, method.early_stop_rate) : null);
      const trials = (): TrialState[] => {
        const lines = deps.sweeps.lines(id);
        return deps.sweeps.get(id).trials.map((t) => {
          const mine = lines.filter((l) => l.trial !== undefined && l.trial === t.runId);
          return {
            index: t.index,
            params: t.params,
            runId: t.runId,
            run: t.runId ? deps.runs.get(t.runId) : null,
            started: t.runId !== null,
            stopping: mine.some((l) => l.action === 'stop'),
            ended: mine.some((l) => l.action === 'ended'),
            gpus: mine.find((l) => l.action === 'start')?.gpus ?? [],
          };
        });
      };
      const bestOf = (runId: string): number | null => {
        const values = deps.sweeps
          .objective(runId, metric, resource)
          .points.map(([, v]) => v)
          .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return values.length ? (goal === 'minimize' ? Math.min(...values) : Math.max(...values)) : null;
      };

      // A launch the app was closed in the middle of (its run still QUEUED: nothing was started on the
      // host) is given up, and the trial starts again as a new run. One that got further (STARTING) is
      // followed as any run is: it runs, or the run watcher calls it lost.
      for (const t of trials()) {
        if (!t.runId || !t.run || t.run.status !== 'QUEUED' || this.launching.has(t.runId)) continue;
        const runId = t.runId;
        const line = record(
          (lines) =>
            lines.some((l) => l.trial === runId && l.action === 'interrupted')
              ? null
              : { action: 'interrupted', trial: runId, trialIndex: t.index, reason: `the app closed before this trial's launch reached its host: nothing ran; it starts again as a new run` },
          { index: t.index, runId: null },
        );
        if (line) {
          deps.runs.setStatus(runId, 'FAILED', { lastError: 'The launch was cut off when the app closed; nothing ran. The sweep starts this trial again as a new run.' });
          deps.onChanged(runId);
        }
      }

      // Judge and note endings: a trial whose run is final is judged once more, then ended.
      const stopAll = sweep.status === 'STOPPING';
      for (const t of trials()) {
        if (!t.started || t.ended || !t.runId || !t.run) continue;
        const runId = t.runId;
        const done = FINAL_STATUSES.includes(t.run.status);
        if (method.name === 'asha' && !t.stopping) {
          const { points, reached } = deps.sweeps.objective(runId, metric, resource);
          // Rung by rung, lowest first, each decided on the stored decisions as they are then.
          for (;;) {
            const line = record((lines) => judge(newAsha()!, lines, runId, points, reached, done, t.run!.status));
            if (!line) break;
            if (line.action === 'stop') {
              await deps.cancelRun(runId);
              break;
            }
            if (line.action === 'complete') break;
          }
        }
        if (t.stopping && !done && t.run.status !== 'CANCELLING') {
          // Stopped before, but not cancelled (the host was unreachable then, or the app closed in between).
          await deps.cancelRun(runId);
        }
        if (stopAll && !done && !t.stopping) {
          const line = record((lines) => (lines.some((l) => l.trial === runId && l.action === 'stop') ? null : { action: 'stop', trial: runId, reason: 'stopped with the sweep' }));
          if (line) await deps.cancelRun(runId);
        }
        if (done) {
          const run = deps.runs.get(runId);
          const stopped = deps.sweeps.lines(id).some((l) => l.trial === runId && l.action === 'stop');
          const how = run.exitCode !== null ? `exit ${run.exitCode}` : run.status.toLowerCase();
          record((lines) =>
            lines.some((l) => l.trial === runId && l.action === 'ended')
              ? null
              : {
                  action: 'ended',
                  trial: runId,
                  value: bestOf(runId),
                  // A stop decided just before the app closed may not have reached the host: the trial then ran on to its end.
                  reason: `ended (${how})${stopped ? (run.status === 'SUCCEEDED' ? ", before the sweep's stop reached it" : ', stopped by the sweep') : ''}${run.lastError && run.status === 'FAILED' ? `: ${run.lastError}` : ''}`,
                },
          );
        }
      }

      // Launch into free slots, spread across the hosts: the one running fewest of this sweep's trials first.
      sweep = deps.sweeps.get(id);
      let launchFailed = false;
      if (sweep.status === 'RUNNING') {
        const reachable = (h: Host) => (this.unreachable.get(h.id) ?? 0) < Date.now();
        const hosts = sweep.hostIds.map((h) => deps.hosts.get(h));
        const gpus = gpusOf(deps, hosts); // once a pass, not once a host for every trial considered
        for (const t of trials()) {
          if (this.closed) break;
          if (t.started) continue;
          const now = trials().filter((x) => x.started && !x.ended);
          if (now.length >= sweep.spec.concurrency) break;
          const onHost = (h: Host) => now.filter((x) => x.run?.hostId === h.id).length;
          // The GPUs each running trial holds, from its start decision (the same on every pass and after a restart).
          const held = (h: Host) => now.filter((x) => x.run?.hostId === h.id).map((x) => x.gpus);
          const free = hosts.filter((h) => reachable(h) && onHost(h) < slotsOn(gpus.get(h.id)!, sweep.spec) && gpusFor(gpus.get(h.id)!, sweep.spec, held(h)) !== undefined);
          if (!free.length) break; // every host is full (or out of reach): wait for a trial to end
          const host = free.reduce((a, b) => (onHost(b) < onHost(a) ? b : a));
          const pinned = gpusFor(gpus.get(host.id)!, sweep.spec, held(host)) ?? null;
          try {
            await this.launch(id, sweep, t, host, now.length + 1, record, pinned);
          } catch (err) {
            // Nothing was launched: the other hosts take the trials for a while.
            if (this.closed) throw err;
            this.unreachable.set(host.id, Date.now() + UNREACHABLE_MS);
            deps.sweeps.setLastError(
              id,
              `${DRIVER_ERROR} launching a trial on ${host.name} failed: ${err instanceof Error ? err.message : String(err)} (the other hosts take the trials; ${host.name} is tried again in ${UNREACHABLE_MS / 1000} s).`,
            );
            launchFailed = changed = true;
          }
          if (deps.sweeps.get(id).status !== 'RUNNING') break; // paused or stopped meanwhile
        }
      }

      // Finished: every trial that started has ended, and none is left to start (or the sweep was stopped).
      sweep = deps.sweeps.get(id);
      const all = trials();
      const stopping = sweep.status === 'STOPPING';
      if (['RUNNING', 'STOPPING'].includes(sweep.status) && all.every((t) => t.ended || (!t.started && stopping))) {
        const scoredOf = (ts: TrialState[]) => ts.map((t) => ({ t, v: bestOf(t.runId!) })).filter((s): s is { t: TrialState; v: number } => s.v !== null);
        // Trials trained to the end are compared with each other; one stopped early is only a fallback.
        const started = all.filter((t) => t.started);
        let scored = scoredOf(started.filter((t) => !t.stopping));
        if (!scored.length) scored = scoredOf(started);
        const pick = scored.length ? scored.reduce((a, b) => ((goal === 'minimize' ? b.v < a.v : b.v > a.v) ? b : a)) : null;
        const best = pick ? { trial: pick.t.runId!, value: pick.v, params: pick.t.params } : null;
        const how = stopping ? 'stopped' : 'done';
        record((lines) =>
          lines.some((l) => l.action === 'finished')
            ? null
            : { action: 'finished', best, reason: `the sweep is ${how}: ${started.length} trials ran${best ? `, best ${metric} = ${best.value}` : ''}` },
        );
        deps.sweeps.setStatus(id, stopping ? 'STOPPED' : 'FINISHED', null);
        deps.sweeps.releaseDriver(id, this.owner);
        this.heldUntil.delete(id);
        changed = true;
      }
      if (!launchFailed && sweep.lastError?.startsWith(DRIVER_ERROR)) {
        deps.sweeps.setLastError(id, null); // it could drive again
        changed = true;
      }
    } finally {
      if (changed) deps.onSweepChanged(id);
    }
  }

  /**
   * Launches a trial through the normal launcher. The moment the launcher records the run (before
   * anything reaches the host), the run is tied to the trial together with its start decision: an app
   * that dies after that never launches the trial again; one that dies before it launched nothing.
   */
  private async launch(
    id: string,
    sweep: Sweep,
    t: TrialState,
    host: Host,
    running: number,
    record: (decide: (lines: DecisionLine[]) => Omit<DecisionLine, 'seq' | 'ts'> | null, trialRun?: { index: number; runId: string | null }) => DecisionLine | null,
    gpus: number[] | null,
  ): Promise<void> {
    const deps = this.deps;
    let tied: string | null = null;
    const onChanged = (runId: string) => {
      if (tied === null) {
        tied = runId;
        this.launching.add(runId);
        // Stopped while this launch got ready: the run just recorded never starts (the launch sees it
        // cancelled). A sweep already ended (no trial had started, so the stop ended it at once) takes no new
        // decision; one still stopping records the start, so the cancelled run is shown as its trial's.
        const now = deps.sweeps.get(id).status;
        const stopped = now !== 'RUNNING' && now !== 'PAUSED';
        if (stopped) deps.runs.setStatusIf(runId, ['QUEUED'], 'CANCELLED', { lastError: `The sweep ${sweep.name} was stopped while this trial was being launched; nothing of it ran.` });
        if (stopped && now !== 'STOPPING') return deps.onChanged(runId);
        record(
          () => ({
            action: 'start',
            trial: runId,
            trialIndex: t.index,
            host: host.name,
            params: t.params,
            ...(gpus ? { gpus } : {}),
            reason: `started on ${host.name}${gpus ? ` (GPU ${gpus.join(', ')})` : ''}: ${running} of ${sweep.spec.concurrency} running`,
          }),
          { index: t.index, runId },
        );
      }
      deps.onChanged(runId);
    };
    const spec = sweep.spec;
    const project: Project = deps.projects.get(sweep.projectId);
    try {
      await launchRun(
        { ...deps, onChanged },
        {
          project: project.id,
          host: host.id,
          recipe: sweep.recipe,
          params: t.params as never,
          ...(spec.dataset ? { dataset: spec.dataset } : {}),
          ...(spec.code ? { code: spec.code } : {}),
          ...(gpus ? { gpus } : {}),
        },
      );
    } catch (err) {
      if (tied === null) throw err; // nothing was recorded: the trial is tried again, maybe on another host
      // The run exists and is FAILED: the next pass notes that it ended, with the launcher's sentence.
    } finally {
      if (tied !== null) this.launching.delete(tied);
    }
  }
}

/**
 * The next decision for a trial that reported (or null): the stored decisions replayed into ASHA, then
 * the trial at its next rung, as the host's scheduler judges (sweep_scheduler.py's judge): a rung counts
 * once the trial is strictly past it (the objective logged at the rung's own step is then in), the last
 * rung once reached or when the trial ended by itself.
 */
function judge(
  asha: Asha,
  lines: DecisionLine[],
  runId: string,
  points: [number, number | null][],
  reached: number | null,
  done: boolean,
  status: Run['status'],
): Omit<DecisionLine, 'seq' | 'ts'> | null {
  for (const l of lines) if (JUDGED.has(l.action) && l.trial && typeof l.rung === 'number') asha.report(l.trial, l.rung, l.value ?? null);
  if (lines.some((l) => l.trial === runId && l.action === 'stop')) return null;
  const k = asha.nextRung(runId);
  if (k >= asha.rungs.length) return null;
  const rung = asha.rungs[k]!;
  const last = k === asha.rungs.length - 1;
  const isReached = reached !== null && (reached > rung || (last && reached >= rung));
  if (!isReached && !(last && status === 'SUCCEEDED')) return null;
  const value = valueAt(points, rung);
  if (value === undefined) return null; // no objective logged by then: nothing to rank it by
  const d = asha.report(runId, k, value);
  let action: string = d.action;
  let reason = d.reason;
  if (done && action !== 'complete') {
    // It ended before it was judged here (it ran on while the app was closed): its result still counts
    // at the rung for the trials after it, but there is nothing left to stop or continue.
    action = 'ranked';
    reason = `ranked at rung ${k} after it ended: ${formatValue(value)} (${d.rank} of ${d.results}; cut-off ${formatValue(d.cutoff)})`;
  }
  const finite = (v: number | null) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { action, trial: runId, rung: k, resource: d.resource, value: finite(d.value), cutoff: finite(d.cutoff), rank: d.rank, results: d.results, keep: d.keep, reason } as Omit<
    DecisionLine,
    'seq' | 'ts'
  >;
}
