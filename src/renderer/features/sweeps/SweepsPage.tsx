// Sweeps, newest first, and the form that starts one.
import { useEffect, useState } from 'react';
import type { Sweep } from '../../../shared/domain/sweep';
import { useChanges } from '../../api/use-changes';
import { EmptyState } from '../../components/EmptyState';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { NewSweepDialog } from './NewSweepDialog';
import { SweepPage } from './SweepPage';
import './sweeps.css';

export function SweepsPage({ sweepId }: { sweepId?: string | undefined }) {
  if (sweepId) return <SweepPage sweepId={sweepId} />;
  return <SweepList />;
}

function SweepList() {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const notifyError = useApp((s) => s.notifyError);
  const projects = useApp((s) => s.projects);
  const [sweeps, setSweeps] = useState<Sweep[] | null>(null);
  const [creating, setCreating] = useState(false);
  const tick = useChanges('sweeps.changed');
  useEffect(() => {
    client.call('sweeps.list', {}).then(setSweeps, (err: unknown) => {
      setSweeps([]);
      notifyError(err);
    });
  }, [client, tick, notifyError]);
  const open = (s: Sweep) => navigate({ area: 'sweeps', sweepId: s.id });
  return (
    <>
      <header className="page-header">
        <h1>Sweeps</h1>
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New sweep
          </button>
        </div>
      </header>
      {sweeps === null ? (
        <p className="muted">Loading…</p>
      ) : sweeps.length === 0 ? (
        <EmptyState title="No sweeps yet">
          <p>A sweep tries many parameter settings of a recipe and stops the ones that fall behind (ASHA), on a host, even while this app is closed.</p>
        </EmptyState>
      ) : (
        <table className="data-table" aria-label="Sweeps">
          <thead>
            <tr>
              <th>Name</th>
              <th>Project</th>
              <th>Status</th>
              <th>Method</th>
              <th>Trials</th>
              <th>Best</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {sweeps.map((s) => (
              <tr key={s.id}>
                <td>
                  <a
                    href={`#/sweeps/${s.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      open(s);
                    }}
                  >
                    {s.name}
                  </a>
                </td>
                <td>{projects.find((p) => p.id === s.projectId)?.name ?? '—'}</td>
                <td>{s.status.toLowerCase()}</td>
                <td>{s.spec.method.name}</td>
                <td>{s.trials.length}</td>
                <td className="mono">{s.best ? Number(s.best.value.toPrecision(4)) : '—'}</td>
                <td className="nowrap">{formatShortTime(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewSweepDialog
          onClose={() => setCreating(false)}
          onStarted={(s) => {
            setCreating(false);
            open(s);
          }}
        />
      )}
    </>
  );
}
