// Runs of every project: status at a glance, launch a new one, open one to watch it.
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../store/context';
import { formatTime } from '../../format';
import { LaunchDialog } from './LaunchDialog';
import { RunDetailPage } from './RunDetailPage';
import { StatusBadge } from './StatusBadge';

export function RunsPage() {
  const route = useApp((s) => s.route);
  const runs = useApp((s) => s.runs);
  const projects = useApp((s) => s.projects);
  const loaded = useApp((s) => s.runsLoaded);
  const navigate = useApp((s) => s.navigate);
  const [launching, setLaunching] = useState(false);
  if (route.area === 'runs' && route.runId) return <RunDetailPage runId={route.runId} />;
  const projectName = (id: string) => projects.find((p) => p.id === id)?.name ?? id;

  return (
    <>
      <header className="page-header">
        <h1>Runs</h1>
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => setLaunching(true)} disabled={projects.length === 0} title={projects.length === 0 ? 'Create a project first' : undefined}>
            Launch run
          </button>
        </div>
      </header>
      {!loaded ? (
        <p className="muted" role="status">
          Loading runs…
        </p>
      ) : runs.length === 0 ? (
        <EmptyState title="No runs yet">
          <p>{projects.length === 0 ? 'Create a project first; then launch a run of a recipe on a host.' : 'Launch a run of a recipe on this machine or an SSH host. The demo recipes fine-tune a tiny model in seconds on a CPU.'}</p>
        </EmptyState>
      ) : (
        <table className="data-table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Project</th>
              <th scope="col">Recipe</th>
              <th scope="col">Host</th>
              <th scope="col">Started</th>
              <th scope="col">Points</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td className="mono">
                  <a
                    href={`#/runs/${r.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate({ area: 'runs', runId: r.id });
                    }}
                  >
                    {r.id}
                  </a>
                </td>
                <td>
                  <StatusBadge run={r} />
                </td>
                <td>{projectName(r.projectId)}</td>
                <td>{r.recipe}</td>
                <td>{r.hostName}</td>
                <td className="nowrap">{formatTime(r.createdAt)}</td>
                <td>{r.metricPoints}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {launching && (
        <LaunchDialog
          onClose={() => setLaunching(false)}
          onLaunched={(id) => {
            setLaunching(false);
            navigate({ area: 'runs', runId: id });
          }}
        />
      )}
    </>
  );
}
