// Sweeps: checked and drawn here, run on the host. Starting one places every trial's run directory on
// the host (PENDING), writes sweep.json and starts the scheduler beside them (resources/remote/
// sweep_scheduler.py), which starts, judges and stops trials whether or not the app is open. The app
// follows the scheduler's decision file exactly once by byte offset, and starts the scheduler again
// when it died before the sweep ended. On a SLURM cluster the scheduler and each trial are jobs (slurm-sweep.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Project } from '../../shared/domain/project';
import type { RunResources } from '../../shared/domain/slurm';
import { FINAL_STATUSES } from '../../shared/domain/run';
import { driverFor, sweepHostNames, SweepSpec, type Sweep } from '../../shared/domain/sweep';
import { EngineError } from '../errors';
import { oneAtATime } from '../one-at-a-time';
import { jsonOutput, privately, runOrFail, shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import { yamlLib } from '../lazy';
import { getRecipe } from '../recipes';
import { stageRuns, supervisorFiles, type LaunchDeps } from '../runs/launcher';
import type { RunStore } from '../runs/run-store';
import { PACKAGE_ROOT } from '../version';
import { controlAppDrivenSweep, createAppDrivenSweep, startAppDrivenSweep } from './app-driver';
import { checkAgainstRecipe, trialParams } from './space';
import { applySlurmDecisions, checkSchedulerJob, restartSchedulerIfGone, schedulerScript, submitScheduler, trialResources } from './slurm-sweep';
import { ACTIVE, CONTROL_FROM, type DecisionLine, type SweepStore } from './sweep-store';

const REMOTE_DIR = path.join(PACKAGE_ROOT, 'resources', 'remote');
/**
 * A scheduler whose process is gone and whose heartbeat (every 0.5 s) is older than this is started
 * again. Starting one too many is harmless: a second scheduler of a sweep leaves at once (a lock).
 */
const SCHEDULER_STALE_S = 5;
const CHUNK = 4 * 1024 * 1024;

export interface SweepDeps extends LaunchDeps {
  sweeps: SweepStore;
  hosts: HostService;
  runs: RunStore;
  saveRecipe(project: string, fromRun: string): Project;
  onSweepChanged(sweepId: string): void;
  /** The normal cancel path (runs.cancel): a sweep across several hosts stops its losers with it. */
  cancelRun(runId: string): Promise<unknown>;
}

interface Probe {
  files: Record<string, { id: string; size: number }>;
  exitCode: number | null;
  heartbeatAge: number | null;
  alive: boolean;
}

/** The sweep file's text, checked: YAML or JSON, then the schema, then against the recipe. */
export function parseSweepFile(text: string, fileName: string): SweepSpec {
  let raw: unknown;
  try {
    raw = yamlLib().parse(text);
  } catch (err) {
    throw new EngineError('SWEEP_INVALID', `${fileName}: not valid YAML or JSON (${(err as Error).message.split('\n')[0]}).`);
  }
  const parsed = SweepSpec.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineError('SWEEP_INVALID', `${fileName}: ${issue.path.join('.') || 'the file'}: ${issue.message}.`, {
      issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

export function createSweep(deps: SweepDeps, text: string, fileName: string): Sweep {
  const spec = parseSweepFile(text, fileName);
  // Several hosts: the app drives the sweep (src/main/sweeps/app-driver.ts).
  if (driverFor(spec) === 'app') return createAppDrivenSweep(deps, spec, fileName);
  const project = deps.projects.get(spec.project);
  const host = deps.hosts.get(sweepHostNames(spec)[0]!);
  const recipe = getRecipe(spec.recipe);
  const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
  const trials = checkAgainstRecipe(spec, fileName, recipe, trialParams(spec, fileName, seed));
  const name = spec.name ?? `${recipe.name}-${spec.method.name}-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const id = deps.sweeps.create({ name, projectId: project.id, hostId: host.id, recipe: recipe.name, spec: { ...spec, seed }, trials });
  deps.onSweepChanged(id);
  return deps.sweeps.get(id);
}

const startScheduler = (access: HostAccess, python: string, dir: string) =>
  runOrFail(access, privately(`cd ${shQuote(dir)} && (setsid nohup ${python} .tb/sweep_scheduler.py . </dev/null >>.tb/scheduler.log 2>&1 &)`), "Starting the sweep's scheduler");

/** Sweeps this engine is starting now (their trials being staged): a second start must not stage them twice. */
const starting = new Set<string>();

export async function startSweep(deps: SweepDeps, ref: string): Promise<Sweep> {
  const sweep = deps.sweeps.get(ref);
  if (sweep.drivenBy === 'app') return startAppDrivenSweep(deps, sweep);
  if (sweep.status !== 'DRAFT')
    throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} is ${sweep.status.toLowerCase()}: only a sweep not started yet can be started. Pause, resume or stop it instead.`);
  return oneAtATime(
    starting,
    sweep.id,
    () => new EngineError('SWEEP_STATE', `Sweep ${sweep.name} is being started already. Wait for that start to end; \`tunebench sweep show ${sweep.name}\` says how it went.`),
    () => startDraft(deps, sweep),
  );
}

async function startDraft(deps: SweepDeps, sweep: Sweep): Promise<Sweep> {
  const host = deps.hosts.get(sweep.hostId);
  const spec = sweep.spec;
  if (host.slurm) return startSlurmSweep(deps, sweep);
  // GPUs to pack trials onto: the host's last probe says which there are.
  const probe = deps.hosts.lastProbes().find((p) => p.hostId === host.id)?.probe;
  const gpus = (probe?.gpus ?? []).map((g) => g.index);
  const gpusPerTrial = spec.gpus_per_trial ?? (gpus.length ? 1 : 0);
  if (gpusPerTrial > gpus.length)
    throw new EngineError(
      'SWEEP_INVALID',
      `Each trial asks for ${gpusPerTrial} GPU(s) and ${host.name} has ${gpus.length}${probe ? '' : ' as far as Tunebench knows (probe it first: tunebench host probe ' + host.name + ')'}. Set gpus_per_trial lower.`,
    );
  const access = await deps.hosts.access(host, { now: true });
  try {
    return await placeSweep(deps, sweep, access, gpus, gpusPerTrial);
  } catch (err) {
    failStart(deps, sweep, err);
    throw err;
  }
}

/**
 * On a SLURM cluster: each trial is a job (its batch script prepared with the run, submitted by the
 * scheduler) and the scheduler is a small CPU job; SLURM checks both before anything is placed.
 */
async function startSlurmSweep(deps: SweepDeps, sweep: Sweep): Promise<Sweep> {
  const host = deps.hosts.get(sweep.hostId);
  const probe = deps.hosts.lastProbes().find((p) => p.hostId === host.id)?.probe.slurm;
  if (probe?.sharedRunRoot === false)
    throw new EngineError(
      'SWEEP_INVALID',
      `The compute nodes of ${host.name} do not see its run root ${host.runRoot} (${probe.sharedRunRootDetail || 'the last probe says so'}): the sweep's scheduler and trials run there and must share it with the login node. Set a run root on a shared file system (tunebench host configure ${host.name} --run-root ...).`,
    );
  if (probe?.computeSubmit === false)
    throw new EngineError(
      'SWEEP_INVALID',
      `${host.name} does not let jobs submit jobs (${probe.computeSubmitDetail || 'the last probe says so'}). A sweep there needs that: its scheduler is a job that submits each trial. Ask the cluster's admins whether jobs may call sbatch, or launch the trials as runs (or a job array: run launch --array N).`,
    );
  const { resources, gpusPerTrial } = trialResources(host, sweep.spec.gpus_per_trial, probe);
  const script = schedulerScript(host, sweep.id, probe);
  const access = await deps.hosts.access(host, { now: true });
  await checkSchedulerJob(access, host, script);
  try {
    return await placeSweep(deps, sweep, access, [], gpusPerTrial, { resources, script });
  } catch (err) {
    failStart(deps, sweep, err);
    throw err;
  }
}

/** A start that failed: the sweep FAILED, saying why, unless it was stopped (or started elsewhere) meanwhile. */
function failStart(deps: SweepDeps, sweep: Sweep, err: unknown): void {
  deps.sweeps.setStatusIf(sweep.id, ['DRAFT'], 'FAILED', `Starting the sweep failed: ${err instanceof Error ? err.message : String(err)}`);
  deps.onSweepChanged(sweep.id);
}

/** Trials staged for a start that did not happen: nothing will ever start them. */
function dropStaged(deps: SweepDeps, runs: { id: string }[], why: string): void {
  for (const r of runs) if (deps.runs.setStatusIf(r.id, ['QUEUED', 'STARTING', 'PENDING'], 'CANCELLED', { lastError: why })) deps.onChanged(r.id);
}

async function placeSweep(deps: SweepDeps, sweep: Sweep, access: HostAccess, gpus: number[], gpusPerTrial: number, slurm?: { resources: RunResources; script: string }): Promise<Sweep> {
  const host = deps.hosts.get(sweep.hostId);
  const spec = sweep.spec;
  const runs = await stageRuns(
    deps,
    {
      project: sweep.projectId,
      host: host.id,
      recipe: sweep.recipe,
      ...(spec.dataset ? { dataset: spec.dataset } : {}),
      ...(spec.code ? { code: spec.code } : {}),
      ...(slurm ? { resources: slurm.resources } : {}),
    },
    sweep.trials.map((t) => t.params),
    access,
  );
  const root = host.runRoot.replace(/\/+$/, '');
  const dir = `${root}/sweeps/${sweep.id}`;
  const project = deps.projects.get(sweep.projectId);
  const sweepJson = {
    id: sweep.id,
    name: sweep.name,
    method: spec.method,
    objective: project.objective,
    concurrency: spec.concurrency,
    gpus,
    gpusPerTrial,
    shareGpus: spec.share_gpus,
    python: host.python,
    // On a cluster the scheduler submits each trial's prepared batch script (sbatch) and cancels with scancel.
    ...(slurm ? { backend: 'slurm', trialScript: '.tb/job.sbatch', trialResources: slurm.resources } : {}),
    trials: runs.map((r, i) => ({ id: r.id, dir: r.remoteDir, params: sweep.trials[i]!.params })),
  };
  try {
    await runOrFail(access, privately(`mkdir -p ${shQuote(`${dir}/.tb`)}`), "Creating the sweep's folder");
    const probeRun = supervisorFiles().find(([f]) => f === '.tb/probe_run.py')!;
    await access.writeFile(`${dir}/.tb/sweep_scheduler.py`, fs.readFileSync(path.join(REMOTE_DIR, 'sweep_scheduler.py')), 0o700);
    await access.writeFile(`${dir}/.tb/asha.py`, fs.readFileSync(path.join(REMOTE_DIR, 'asha.py')), 0o600);
    await access.writeFile(`${dir}/.tb/probe_run.py`, probeRun[1], 0o700);
    await access.writeFile(`${dir}/sweep.json`, JSON.stringify(sweepJson, null, 2) + '\n', 0o400);
  } catch (err) {
    dropStaged(deps, runs, `The sweep could not be started (${err instanceof Error ? err.message : String(err)}); this trial never ran.`);
    throw err;
  }
  const ids = runs.map((r) => r.id);
  if (!deps.sweeps.setStarted(sweep.id, dir, ids)) {
    const now = deps.sweeps.get(sweep.id);
    dropStaged(
      deps,
      runs,
      now.status === 'STOPPED'
        ? 'The sweep was stopped while it was being started; this trial never ran.'
        : `The sweep was started elsewhere at the same time (its status is now ${now.status}); this trial was not used.`,
    );
    deps.onSweepChanged(sweep.id);
    return now;
  }
  try {
    if (slurm) await submitScheduler(access, host, dir, slurm.script);
    else await startScheduler(access, host.python, dir);
  } catch (err) {
    // Started but its scheduler is not: nothing decides for it. Failed, from where it stands, and its trials with it.
    if (deps.sweeps.setStatusIf(sweep.id, ['RUNNING'], 'FAILED', `Starting the sweep's scheduler failed: ${err instanceof Error ? err.message : String(err)}`)) {
      dropStaged(deps, runs, "The sweep's scheduler could not be started; this trial never ran.");
    }
    deps.onSweepChanged(sweep.id);
    throw err;
  }
  deps.onSweepChanged(sweep.id);
  return deps.sweeps.get(sweep.id);
}

/** Pause (start nothing new), resume, or stop (cancel what runs, start nothing more): files the scheduler reads. */
export async function controlSweep(deps: SweepDeps, ref: string, action: 'pause' | 'resume' | 'stop'): Promise<Sweep> {
  const sweep = deps.sweeps.get(ref);
  if (sweep.drivenBy === 'app') return controlAppDrivenSweep(deps, sweep, action);
  const allowed = CONTROL_FROM[action];
  if (!allowed.includes(sweep.status)) throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} is ${sweep.status.toLowerCase()}: it cannot be ${action === 'stop' ? 'stopped' : action + 'd'} now.`);
  if (sweep.status === 'DRAFT') {
    deps.sweeps.setStatus(sweep.id, 'STOPPED');
  } else {
    const host = deps.hosts.get(sweep.hostId);
    const access = await deps.hosts.access(host, { now: true });
    const file = (name: string) => shQuote(`${sweep.remoteDir}/${name}`);
    if (action === 'pause') await runOrFail(access, privately(`touch ${file('pause')}`), 'Pausing the sweep');
    if (action === 'resume') await runOrFail(access, `rm -f ${file('pause')}`, 'Resuming the sweep');
    if (action === 'stop') await runOrFail(access, privately(`touch ${file('stop')}`), 'Stopping the sweep');
    // Only from where it stood: a sync pass may have seen it end while the file was being written.
    if (!deps.sweeps.setStatusIf(sweep.id, allowed, action === 'pause' ? 'PAUSED' : action === 'resume' ? 'RUNNING' : 'STOPPING')) {
      const now = deps.sweeps.get(sweep.id);
      deps.onSweepChanged(sweep.id);
      throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} became ${now.status.toLowerCase()} while it was being ${action === 'stop' ? 'stopped' : action + 'd'}: nothing more to do.`);
    }
  }
  deps.onSweepChanged(sweep.id);
  return deps.sweeps.get(sweep.id);
}

/** Reads what the scheduler decided since the last pass, and starts it again if it died mid-sweep. */
export async function syncSweep(deps: SweepDeps, ref: string): Promise<Sweep> {
  const sweep = deps.sweeps.get(ref);
  // The app drives a sweep across several hosts (its driver ticks with the engine): nothing to read on a host.
  if (sweep.drivenBy === 'app') return sweep;
  if (!sweep.remoteDir || !ACTIVE.includes(sweep.status)) return sweep;
  const host = deps.hosts.get(sweep.hostId);
  const access = await deps.hosts.access(host);
  const dir = sweep.remoteDir;
  const r = await access.exec(`${host.python} ${shQuote(`${dir}/.tb/probe_run.py`)} ${shQuote(dir)} decisions.jsonl`, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `Reading the sweep's state failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  const probe = jsonOutput(r.stdout, "Reading the sweep's state") as Probe;
  const size = probe.files['decisions.jsonl']?.size ?? 0;
  let finished: DecisionLine | undefined;
  // Said to open pages only when something changed: a pass runs every second or so, and each event makes an open sweep page read it again.
  let changed = false;
  for (let offset = deps.sweeps.offset(sweep.id); offset < size;) {
    const chunk = await access.readRange(`${dir}/decisions.jsonl`, offset, Math.min(CHUNK, size - offset));
    const end = chunk.lastIndexOf(0x0a);
    if (end < 0) break; // only part of a line so far
    const lines = chunk
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as DecisionLine);
    const added = deps.sweeps.addDecisions(sweep.id, offset, offset + end + 1, lines);
    // On a cluster: each trial's job id goes to its run (the queue monitoring follows it from there).
    if (host.slurm) applySlurmDecisions(deps, sweep, lines, trialResources(host, sweep.spec.gpus_per_trial, null).resources);
    finished ??= lines.find((l) => l.action === 'finished');
    for (const l of added) if (l.trial) deps.onChanged(l.trial);
    changed ||= added.length > 0;
    offset += end + 1;
  }
  if (finished || probe.exitCode !== null) {
    // How it ended, as the scheduler says; else as the sweep stands now (a stop may have come during this pass).
    const now = deps.sweeps.get(sweep.id).status;
    const stopped = finished?.how ? finished.how === 'stopped' : now === 'STOPPING';
    // Trials it never started are over too.
    for (const t of sweep.trials) {
      if (!t.runId) continue;
      const run = deps.runs.get(t.runId);
      if (!FINAL_STATUSES.includes(run.status) && run.status === 'PENDING') {
        deps.runs.setStatus(t.runId, 'CANCELLED', { lastError: `The sweep ${stopped ? 'was stopped' : 'ended'} before this trial started.` });
        deps.onChanged(t.runId);
      }
    }
    changed = deps.sweeps.setStatusIf(sweep.id, ACTIVE, stopped ? 'STOPPED' : 'FINISHED') || changed;
  } else if (host.slurm) {
    // The scheduler is a job: gone from the queue (scancel, time limit, a node lost) with the sweep unfinished.
    const slurmProbe = () => deps.hosts.lastProbes().find((p) => p.hostId === host.id)?.probe.slurm;
    const restarted = await restartSchedulerIfGone(access, host, sweep, probe.heartbeatAge, SCHEDULER_STALE_S, slurmProbe);
    if (restarted) deps.sweeps.setLastError(sweep.id, restarted);
    changed ||= !!restarted;
  } else if (!probe.alive && (probe.heartbeatAge !== null ? probe.heartbeatAge > SCHEDULER_STALE_S : Date.now() - sweep.updatedAt > 30_000)) {
    // It died (the host rebooted, someone killed it): the decision file is its state, it resumes from it.
    await startScheduler(access, host.python, dir);
    deps.sweeps.setLastError(
      sweep.id,
      `The scheduler was not running (no heartbeat for ${probe.heartbeatAge === null ? 'ever' : `${Math.round(probe.heartbeatAge)} s`}); started it again at ${new Date().toISOString()}.`,
    );
    changed = true;
  }
  if (changed) deps.onSweepChanged(sweep.id);
  return deps.sweeps.get(sweep.id);
}

/** The best trial's recipe and parameters become the project's, for reuse. */
export function saveBest(deps: SweepDeps, ref: string): Project {
  const sweep = deps.sweeps.get(ref);
  if (!sweep.best) throw new EngineError('SWEEP_STATE', `Sweep ${sweep.name} has no best trial yet: it names one when it ends (or stop it).`);
  return deps.saveRecipe(sweep.projectId, sweep.best.runId);
}
