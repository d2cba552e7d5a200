// A project's runs, newest first, on its page: open one, see which reached the best objective value.
import { useEffect, useState } from 'react';
import type { Run } from '../../../shared/domain/run';
import { useChanges } from '../../api/use-changes';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { formatDuration } from '../runs/duration';
import { StatusBadge } from '../runs/StatusBadge';

/** Shown here at most; the Runs page has them all, with its filters. */
const SHOWN = 100;

export function ProjectRuns({ projectId, bestRunId, onLaunch }: { projectId: string; bestRunId: string | null; onLaunch: (() => void) | null }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const notifyError = useApp((s) => s.notifyError);
  const changed = useChanges('runs.changed');
  const [runs, setRuns] = useState<{ projectId: string; list: Run[] } | null>(null);
  useEffect(() => {
    let stale = false;
    client.call('runs.list', { project: projectId }).then(
      (list) => !stale && setRuns({ projectId, list: list.filter((r) => r.kind === 'train') }),
      (err: unknown) => !stale && notifyError(err),
    );
    return () => {
      stale = true;
    };
  }, [client, projectId, changed, notifyError]);
  const list = runs?.projectId === projectId ? runs.list : null;

  return (
    <section className="card" aria-labelledby="project-runs-heading">
      <h2 id="project-runs-heading">Runs{list ? ` (${list.length})` : ''}</h2>
      {list === null ? (
        <p className="muted" role="status">
          Loading runs…
        </p>
      ) : list.length === 0 ? (
        <p role="status">
          This project has no runs yet.{' '}
          {onLaunch && (
            <button type="button" className="primary" onClick={onLaunch}>
              Launch its first run
            </button>
          )}
        </p>
      ) : (
        <>
          <div className="project-runs-scroll">
            <table className="data-table" aria-label="Project runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Recipe</th>
                  <th scope="col">Host</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {list.slice(0, SHOWN).map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">
                      <a
                        title={r.id}
                        href={`#/runs/${r.id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate({ area: 'runs', runId: r.id });
                        }}
                      >
                        {r.name || r.id}
                      </a>
                      {r.id === bestRunId && <span className="badge badge-ok">best</span>}
                    </td>
                    <td>
                      <StatusBadge run={r} />
                    </td>
                    <td>{r.recipe}</td>
                    <td>{r.remoteDir.startsWith('synthetic:') ? <span className="muted">none (demo)</span> : r.hostName}</td>
                    <td className="nowrap">{formatShortTime(r.createdAt)}</td>
                    <td className="nowrap">{r.endedAt !== null ? formatDuration(r.endedAt - r.createdAt) : <span className="muted">running</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.length > SHOWN && (
            <p className="muted">
              The {SHOWN} newest of {list.length} runs.{' '}
              <a
                href="#/runs"
                onClick={(e) => {
                  e.preventDefault();
                  navigate({ area: 'runs' });
                }}
              >
                See them all on the Runs page
              </a>
              .
            </p>
          )}
        </>
      )}
    </section>
  );
}
