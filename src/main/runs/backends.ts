// How a run's supervisor is started and asked to stop on a kind of host. Workstations (local and SSH)
// detach it with setsid nohup; a SLURM backend will submit it with sbatch and cancel with the cancel
// file plus scancel, behind this same interface, with the rest of the protocol (files, cursors) unchanged.
import type { Host } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { shQuote, type HostAccess } from '../hosts/host-access';

export interface RunBackend {
  /** Starts the supervisor for the run directory and returns once it is detached. */
  start(access: HostAccess, host: Host, remoteDir: string): Promise<void>;
  /** Asks the run to stop: the supervisor signals the process group, then kills it after the grace period. */
  requestCancel(access: HostAccess, remoteDir: string): Promise<void>;
}

async function mustSucceed(access: HostAccess, command: string, what: string): Promise<void> {
  const r = await access.exec(command, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `${what} failed on the host (exit ${r.code}): ${r.stderr.trim().slice(-500) || 'no output'}.`);
}

export const workstationBackend: RunBackend = {
  start: (access, host, remoteDir) =>
    // No PTY, stdin from /dev/null, its own session: the run outlives the SSH connection and the app.
    mustSucceed(access, `cd ${shQuote(remoteDir)} && (setsid nohup ${host.python} .tb/supervisor.py . </dev/null >.tb/supervisor.log 2>&1 &)`, 'Starting the supervisor'),
  requestCancel: (access, remoteDir) => mustSucceed(access, `touch ${shQuote(`${remoteDir}/.tb/cancel`)}`, 'Asking the run to stop'),
};

/** The backend for a host. Every host kind here is a workstation; SLURM clusters come next. */
export function backendFor(_host: Host): RunBackend {
  return workstationBackend;
}
