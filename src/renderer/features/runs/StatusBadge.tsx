import type { Run } from '../../../shared/domain/run';

export function StatusBadge({ run }: { run: Run }) {
  return (
    <span className={`status status-${run.status.toLowerCase()}`} title={run.lastError ?? undefined}>
      {run.status.toLowerCase()}
      {run.disconnected && <span className="status-note"> · host unreachable</span>}
    </span>
  );
}
