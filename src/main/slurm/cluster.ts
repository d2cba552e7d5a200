// Talking to a cluster's login node: submitting, cancelling and checking a job before it is submitted.
import type { Host } from '../../shared/domain/host';
import type { SlurmSettings } from '../../shared/domain/slurm';
import { EngineError } from '../errors';
import { privately, shQuote, type HostAccess } from '../hosts/host-access';
import { parseSbatchId, submitRefused } from './sbatch';

/** A SLURM command on the login node, after the cluster's setup line (e.g. `module load slurm`). */
export function slurmCommand(settings: SlurmSettings, command: string): string {
  return settings.setup ? `${settings.setup}\n${command}` : command;
}

export function clusterSettings(host: Host): SlurmSettings {
  if (!host.slurm) throw new EngineError('VALIDATION_FAILED', `${host.name} is not a SLURM cluster.`);
  return host.slurm;
}

/**
 * Asks SLURM whether it would take the job, without submitting it (`sbatch --test-only`): the partition's
 * limits, the account and the QOS are checked by SLURM itself, before a run is recorded.
 */
export async function precheck(access: HostAccess, host: Host, script: string): Promise<void> {
  const r = await access.exec(slurmCommand(clusterSettings(host), 'sbatch --test-only'), { stdin: script, timeoutMs: 60_000 });
  if (r.code === 127 || /sbatch: (command )?not found/.test(r.stderr)) {
    throw new EngineError(
      'SLURM_NOT_FOUND',
      `sbatch is not found on ${host.name}'s login node. Set the cluster's setup line (e.g. \`module load slurm\`) with \`tunebench host configure ${host.name} --slurm-setup ...\`.`,
    );
  }
  if (r.code !== 0) throw submitRefused(r.stderr || r.stdout);
}

/** Submits the batch script in `dir` (a run's directory, or a job array's) and returns the job id. */
export async function submit(access: HostAccess, host: Host, dir: string, scriptFile: string): Promise<string> {
  // sbatch hands its umask to the job (SLURM_UMASK): the job's output files and all it writes stay private.
  const r = await access.exec(slurmCommand(clusterSettings(host), privately(`cd ${shQuote(dir)} && sbatch --parsable ${shQuote(scriptFile)}`)), { timeoutMs: 60_000 });
  if (r.code !== 0) throw submitRefused(r.stderr || r.stdout);
  return parseSbatchId(r.stdout);
}

/**
 * Cancels a job only while it still waits in the queue (scancel --state=PENDING), and says whether it was
 * cancelled so: true only when the queue then says CANCELLED. A job that started a moment ago, or that the
 * queue no longer knows (it may have run), is not: the caller stops it as a running job, and its run's
 * supervisor or the queue's record says how it ended. A plain scancel would have ended such a job unseen
 * as "cancelled while waiting".
 */
export async function cancelIfWaiting(access: HostAccess, host: Host, jobId: string): Promise<boolean> {
  const job = shQuote(jobId);
  const r = await access.exec(slurmCommand(clusterSettings(host), `scancel --state=PENDING ${job} >/dev/null 2>&1; squeue -h -t all -j ${job} -o %T`), { timeoutMs: 30_000 });
  if (r.code !== 0 && !/Invalid job id/i.test(r.stderr)) {
    throw new EngineError(
      'REMOTE_COMMAND_FAILED',
      `squeue could not say whether job ${jobId} still waits on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(-300) || 'no output'}. Check that \`squeue\` answers on the login node, then cancel again.`,
    );
  }
  return r.stdout.trim().split('\n').at(-1)?.trim() === 'CANCELLED';
}

/** scancel of the job and all its steps; a job already gone is not an error. */
export async function cancelJob(access: HostAccess, host: Host, jobId: string): Promise<void> {
  const r = await access.exec(slurmCommand(clusterSettings(host), `scancel ${shQuote(jobId)}`), { timeoutMs: 30_000 });
  if (r.code !== 0 && !/Invalid job id|already completed|Job has already finished/i.test(r.stderr)) {
    throw new EngineError('REMOTE_COMMAND_FAILED', `scancel ${jobId} failed on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(-300) || 'no output'}.`);
  }
}
