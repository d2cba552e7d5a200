import type { Run } from '../../../shared/domain/run';

/** Hovering a waiting SLURM run says why it waits (its job's reason); otherwise the last error, if any. */
function why(run: Run): string | undefined {
  if (run.lastError) return run.lastError;
  const reason = run.job?.reason;
  return reason && reason !== 'None' ? `SLURM: ${reason}` : undefined;
}

export function StatusBadge({ run }: { run: Run }) {
  return (
    <span className={`status status-${run.status.toLowerCase()}`} title={why(run)}>
      {run.status.toLowerCase()}
      {run.disconnected && <span className="status-note"> · host unreachable</span>}
    </span>
  );
}
