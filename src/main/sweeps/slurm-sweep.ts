// A sweep on a SLURM cluster. Each trial is a job of its own, prepared by the app like any run on the
// cluster (its batch script in the run directory, job name tb-<run id>) but submitted by the sweep's
// scheduler, which is itself a small CPU job (tb-sweep-<sweep id>) beside the trials: it keeps
// submitting, judging and cancelling trials while the app is closed. The app reads its decisions, hands
// each trial's job id to the run's own queue monitoring, and submits the scheduler again when its job
// is gone before the sweep ended.
import type { Host } from '../../shared/domain/host';
import { FINAL_STATUSES } from '../../shared/domain/run';
import type { RunResources, SlurmProbe } from '../../shared/domain/slurm';
import type { Sweep } from '../../shared/domain/sweep';
import { EngineError } from '../errors';
import { privately, shQuote, type HostAccess } from '../hosts/host-access';
import { clusterSettings, precheck, slurmCommand } from '../slurm/cluster';
import { effectiveResources, parseSbatchId, submitRefused } from '../slurm/sbatch';
import type { DecisionLine } from './sweep-store';
import type { SweepDeps } from './sweep-service';

/** The scheduler's job: one CPU and a little memory (it reads files and calls sbatch, squeue and scancel). */
const SCHEDULER_MEM = '256M';
/** Job states in which the scheduler's job may still run (or run again). */
const ACTIVE = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESV_DEL_HOLD',
  'STAGE_OUT',
  'SIGNALING',
  'RESIZING',
  'STOPPED',
  'PREEMPTED',
]);

/** A scheduler that never beat is submitted again only once the sweep is this old (its first submit may be under way). */
const NEVER_STARTED_GRACE_MS = 30_000;

export const schedulerJobName = (sweepId: string): string => `tb-sweep-${sweepId}`;

/** The partition the trials go to: the host's, else the cluster's default (as the last probe saw it). */
function partitionOf(host: Host, probe: SlurmProbe | null | undefined) {
  const parts = probe?.partitions ?? [];
  return parts.find((p) => p.name === host.slurm?.partition) ?? parts.find((p) => p.isDefault);
}

/**
 * What each trial's job asks for: one node, the sweep's GPUs per trial as --gres (SLURM packs trials onto
 * GPUs on a cluster), and the cluster's defaults for the rest. GPUs per trial default to 1 where the
 * partition has GPUs, 0 where it has none.
 */
export function trialResources(host: Host, gpusPerTrial: number | undefined, probe: SlurmProbe | null | undefined): { resources: RunResources; gpusPerTrial: number } {
  const partition = partitionOf(host, probe);
  const gpus = gpusPerTrial ?? ((partition?.gpusPerNode ?? 0) > 0 ? 1 : 0);
  if (partition && gpus > partition.gpusPerNode)
    throw new EngineError(
      'SWEEP_INVALID',
      `Each trial asks for ${gpus} GPU(s) and the nodes of partition ${partition.name} on ${host.name} have ${partition.gpusPerNode}. Set gpus_per_trial lower, or choose another partition.`,
    );
  return { resources: effectiveResources({ nodes: 1, ...(gpus ? { gpusPerNode: gpus } : {}) }, clusterSettings(host)), gpusPerTrial: gpus };
}

/** SLURM's time syntax (minutes, or days-hours:minutes:seconds) for a number of seconds. */
function slurmTime(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d ? `${d}-${hms}` : hms;
}

/**
 * The scheduler's batch script: 1 CPU, a little memory, the partition's time limit (the sweep lasts as
 * long as its trials; without a known limit SLURM gives the partition's), requeued if its node fails.
 */
export function schedulerScript(host: Host, sweepId: string, probe: SlurmProbe | null | undefined): string {
  const settings = clusterSettings(host);
  const partition = partitionOf(host, probe);
  const o = [`--job-name=${schedulerJobName(sweepId)}`, '--nodes=1', '--ntasks=1', '--cpus-per-task=1', `--mem=${SCHEDULER_MEM}`];
  if (partition?.maxTimeSeconds) o.push(`--time=${slurmTime(partition.maxTimeSeconds)}`);
  if (settings.partition) o.push(`--partition=${settings.partition}`);
  if (settings.account) o.push(`--account=${settings.account}`);
  if (settings.qos) o.push(`--qos=${settings.qos}`);
  o.push('--requeue', '--open-mode=append', '--output=.tb/scheduler-%j.out');
  for (const line of settings.sbatchLines ?? []) o.push(line);
  const lines = ['#!/bin/bash', "# Submitted by Tunebench: a sweep's scheduler, which submits, judges and cancels the sweep's trials (each a job of its own)."];
  for (const option of o) lines.push(`#SBATCH ${option}`);
  if (settings.setup) lines.push(settings.setup); // sbatch, squeue and scancel must be found from the job too
  lines.push(`${host.python} .tb/sweep_scheduler.py . </dev/null >>.tb/scheduler.log 2>&1`);
  return lines.join('\n') + '\n';
}

const schedulerRefused = (host: Host, err: unknown): EngineError => {
  const details = err instanceof EngineError ? (err.details as { slurm?: unknown } | undefined) : undefined;
  const said = typeof details?.slurm === 'string' ? details.slurm : err instanceof Error ? err.message : String(err);
  return new EngineError(
    'SLURM_SUBMIT_REFUSED',
    `SLURM on ${host.name} refused the sweep's scheduler job (1 CPU, ${SCHEDULER_MEM} of memory; it runs beside the trials so the sweep goes on while the app is closed): ${said}. Allow such a job on the partition (or set another partition, account or QOS with \`tunebench host configure ${host.name}\`), or run the sweep on a workstation.`,
    { slurm: said },
  );
};

/** Asks SLURM whether it would take the scheduler's job (sbatch --test-only), before anything is placed. */
export async function checkSchedulerJob(access: HostAccess, host: Host, script: string): Promise<void> {
  try {
    await precheck(access, host, script);
  } catch (err) {
    // sbatch not found (the setup line) is said as for any job; a refusal names the scheduler's job.
    throw err instanceof EngineError && err.code === 'SLURM_SUBMIT_REFUSED' ? schedulerRefused(host, err) : err;
  }
}

/** Writes the scheduler's batch script into the sweep's folder and submits it; returns the job id. */
export async function submitScheduler(access: HostAccess, host: Host, dir: string, script: string): Promise<string> {
  await access.writeFile(`${dir}/.tb/scheduler.sbatch`, script, 0o600);
  const r = await access.exec(slurmCommand(clusterSettings(host), privately(`cd ${shQuote(dir)} && sbatch --parsable .tb/scheduler.sbatch`)), { timeoutMs: 60_000 });
  if (r.code !== 0) throw schedulerRefused(host, submitRefused(r.stderr || r.stdout));
  const jobId = parseSbatchId(r.stdout);
  await access.writeFile(`${dir}/.tb/scheduler_job`, `${jobId}\n`, 0o600);
  return jobId;
}

/** The scheduler's jobs SLURM still knows, by name (job ids are reused; the name carries the sweep's id). */
export async function schedulerJobs(access: HostAccess, host: Host, sweepId: string): Promise<{ jobId: string; state: string }[]> {
  const r = await access.exec(slurmCommand(clusterSettings(host), `squeue -h -t all -u "$(id -un)" -n ${shQuote(schedulerJobName(sweepId))} -o '%i|%T'`), { timeoutMs: 30_000 });
  if (r.code !== 0)
    throw new EngineError('REMOTE_COMMAND_FAILED', `Reading the queue for the sweep's scheduler failed on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(-300) || 'no output'}.`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f) => f.length === 2 && f[0])
    .map(([jobId, state]) => ({ jobId: jobId!, state: state!.split(/[\s+]/)[0]!.toUpperCase() }));
}

/**
 * Submits the scheduler again when no job of it may still run and its heartbeat is old: it resumes from
 * its decision file. Returns what was done, for the sweep's last error; null when it is there.
 */
export async function restartSchedulerIfGone(
  access: HostAccess,
  host: Host,
  sweep: Sweep,
  heartbeatAge: number | null,
  staleSeconds: number,
  probe: () => SlurmProbe | null | undefined,
): Promise<string | null> {
  // It beat a moment ago: alive (the queue is not asked at every sync of a sweep that runs).
  if (heartbeatAge !== null && heartbeatAge <= staleSeconds) return null;
  // Never beat, and the sweep was just started: its first job may not be submitted yet.
  if (heartbeatAge === null && Date.now() - sweep.updatedAt < NEVER_STARTED_GRACE_MS) return null;
  // Waiting in the queue (no heartbeat yet), busy in a slow sbatch, or requeued: still there.
  const jobs = await schedulerJobs(access, host, sweep.id);
  if (jobs.some((j) => ACTIVE.has(j.state))) return null;
  const last = jobs.map((j) => `job ${j.jobId} ${j.state.toLowerCase()}`).join(', ') || 'its job has left the queue';
  const jobId = await submitScheduler(access, host, sweep.remoteDir!, schedulerScript(host, sweep.id, probe()));
  return `The scheduler was not running (${last}); submitted it again as job ${jobId} at ${new Date().toISOString()}.`;
}

/**
 * What the app takes from a SLURM sweep's decisions: each trial's job (the run's queue monitoring then
 * follows it), and trials the scheduler cancelled (CANCELLING; one cancelled while its job was still
 * queued is over now). Idempotent: a chunk read again changes nothing.
 */
export function applySlurmDecisions(deps: SweepDeps, sweep: Sweep, lines: DecisionLine[], resources: RunResources): void {
  const runIds = new Set(sweep.trials.map((t) => t.runId).filter(Boolean));
  for (const l of lines as (DecisionLine & { job?: string | null; queued?: boolean; error?: string; resources?: RunResources })[]) {
    if (!l.trial || !runIds.has(l.trial)) continue;
    const run = deps.runs.get(l.trial);
    if (FINAL_STATUSES.includes(run.status)) continue;
    if (l.action === 'submitted' && l.job && run.job?.jobId !== l.job) {
      deps.runs.setJob(run.id, String(l.job), l.resources ?? resources);
      // Not over a cancel asked meanwhile: the job's supervisor sees the cancel file and ends it so.
      if (run.status !== 'PENDING' && run.status !== 'CANCELLING') deps.runs.setStatus(run.id, 'PENDING');
      deps.onSubmitted?.(sweep.hostId);
      deps.onChanged(run.id);
    } else if (l.action === 'stop') {
      if (l.queued && run.status === 'PENDING')
        deps.runs.setStatus(run.id, 'CANCELLED', { lastError: `Stopped by the sweep while job ${l.job ?? run.job?.jobId ?? ''} waited in the queue; nothing of it ran.`.replace('job  ', 'its job ') });
      else if (run.status !== 'CANCELLING') deps.runs.setStatus(run.id, 'CANCELLING');
      deps.onSubmitted?.(sweep.hostId); // a scancel: the queue is worth reading again soon
      deps.onChanged(run.id);
    } else if (l.action === 'ended' && l.error && !run.job) {
      deps.runs.setStatus(run.id, 'FAILED', { lastError: l.error });
      deps.onChanged(run.id);
    }
  }
}
