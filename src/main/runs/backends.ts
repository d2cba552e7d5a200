// How a run's supervisor is started and asked to stop on a kind of host. Workstations (local and SSH)
// detach it with setsid nohup; a SLURM cluster submits it with sbatch as the job's body and cancels with
// the cancel file plus scancel. The rest of the protocol (files, cursors, heartbeats) is the same.
import type { Host } from '../../shared/domain/host';
import type { Run } from '../../shared/domain/run';
import type { RunResources } from '../../shared/domain/slurm';
import { privately, runOrFail, shQuote, type HostAccess } from '../hosts/host-access';
import { cancelIfWaiting, cancelJob, clusterSettings, submit } from '../slurm/cluster';
import { batchScript } from '../slurm/sbatch';

export interface StartRequest {
  runId: string;
  remoteDir: string;
  /** On a cluster: what the job asks for (already checked with sbatch --test-only). */
  resources?: RunResources;
}

export interface RunBackend {
  /** Starts the supervisor (or submits the job that will) and returns once it is detached; a job's id when there is one. */
  start(access: HostAccess, host: Host, request: StartRequest): Promise<{ jobId?: string }>;
  /**
   * Asks the run to stop: the supervisor signals the process group, then kills it after the grace period.
   * `stopped` when nothing of the run was running (a job still in the queue), so the run is over now.
   */
  requestCancel(access: HostAccess, host: Host, run: Run): Promise<{ stopped: boolean }>;
}

/** The cancel file: a supervisor running (or started later) sees it and stops the run. */
export const touchCancel = (access: HostAccess, remoteDir: string) => runOrFail(access, privately(`touch ${shQuote(`${remoteDir}/.tb/cancel`)}`), 'Asking the run to stop');

export const workstationBackend: RunBackend = {
  async start(access, host, { remoteDir }) {
    // No PTY, stdin from /dev/null, its own session: the run outlives the SSH connection and the app.
    // umask 077 before the shell creates .tb/supervisor.log (the supervisor sets its own for the rest).
    await runOrFail(access, privately(`cd ${shQuote(remoteDir)} && (setsid nohup ${host.python} .tb/supervisor.py . </dev/null >.tb/supervisor.log 2>&1 &)`), 'Starting the supervisor');
    return {};
  },
  async requestCancel(access, _host, run) {
    await touchCancel(access, run.remoteDir);
    return { stopped: false };
  },
};

/** The job name of a run: SLURM reuses job ids, the name (with the run's id) tells our job from a later one. */
export const jobName = (runId: string): string => `tb-${runId}`;

/** The batch script of one run on a cluster (its body is the run's supervisor). */
export const slurmScript = (host: Host, runId: string, resources: RunResources): string =>
  batchScript({ jobName: jobName(runId), resources, settings: clusterSettings(host), python: host.python, output: '.tb/slurm-%j.out' });

export const slurmBackend: RunBackend = {
  async start(access, host, { runId, remoteDir, resources }) {
    const script = slurmScript(host, runId, resources ?? { nodes: 1 });
    await access.writeFile(`${remoteDir}/.tb/job.sbatch`, script, 0o600);
    return { jobId: await submit(access, host, remoteDir, '.tb/job.sbatch') };
  },
  async requestCancel(access, host, run) {
    // The cancel file first: a supervisor starting right now sees it and stops at once.
    await touchCancel(access, run.remoteDir).catch(() => {});
    if (!run.job) return { stopped: false };
    // A job that never started (or waits in the queue again after a requeue) has nothing left to stop, if it
    // still waits now: it may have started since the run was last read.
    if ((run.status === 'PENDING' || run.status === 'REQUEUED') && (await cancelIfWaiting(access, host, run.job.jobId))) return { stopped: true };
    await cancelJob(access, host, run.job.jobId);
    return { stopped: false };
  },
};

export function backendFor(host: Host): RunBackend {
  return host.slurm ? slurmBackend : workstationBackend;
}
