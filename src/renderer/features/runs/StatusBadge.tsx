import { FINAL_STATUSES, type Run } from '../../../shared/domain/run';

/** Hovering a waiting SLURM run says why it waits (its job's reason); otherwise the last error, if any. */
function why(run: Run): string | undefined {
  if (run.lastError) return run.lastError;
  const reason = run.job?.reason;
  return reason && reason !== 'None' ? `SLURM: ${reason}` : undefined;
}

/**
 * "Host unreachable" is about a run still being followed: a finished run has nothing left to read from
 * its host, and a demo run (made by `demo seed`) has no host at all.
 */
const unreachable = (run: Run) => run.disconnected && !FINAL_STATUSES.includes(run.status) && !run.remoteDir.startsWith('synthetic:');

export function StatusBadge({ run }: { run: Run }) {
  return (
    <span className={`status status-${run.status.toLowerCase()}`} title={why(run)}>
      {run.status.toLowerCase()}
      {unreachable(run) && <span className="status-note"> · host unreachable</span>}
    </span>
  );
}
