// Runs of every project: status at a glance, launch a new one, open one to watch it.
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../store/context';
import { LaunchDialog } from './LaunchDialog';
import { RunDetailPage } from './RunDetailPage';
import { RunsTable } from './RunsTable';

export function RunsPage() {
  const route = useApp((s) => s.route);
  const runs = useApp((s) => s.runs);
  const projects = useApp((s) => s.projects);
  const loaded = useApp((s) => s.runsLoaded);
  const navigate = useApp((s) => s.navigate);
  const notify = useApp((s) => s.notify);
  const [launching, setLaunching] = useState(false);
  const [projectFilter, setProjectFilter] = useState('');
  // Keyed by the run: another run's page starts afresh (its marks, zoom, jump and log are its own).
  if (route.area === 'runs' && route.runId) return <RunDetailPage key={route.runId} runId={route.runId} />;

  return (
    <>
      <header className="page-header">
        <h1>Runs</h1>
        <div className="toolbar">
          <select aria-label="Project" value={projectFilter} onChange={(e) => setProjectFilter(e.target.value)} className="project-select">
            <option value="">All projects</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
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
          <p>
            {projects.length === 0
              ? 'Create a project first; then launch a run of a recipe on a host.'
              : 'Launch a run of a recipe on this machine or an SSH host. The demo recipes fine-tune a tiny model in seconds on a CPU.'}
          </p>
        </EmptyState>
      ) : (
        <RunsTable projectId={projectFilter || undefined} />
      )}
      {launching && (
        <LaunchDialog
          onClose={() => setLaunching(false)}
          onLaunched={(ids) => {
            setLaunching(false);
            // A job array's runs are watched from the list; one run opens its page.
            if (ids.length === 1) navigate({ area: 'runs', runId: ids[0]! });
            else notify('info', `Submitted ${ids.length} runs as one job array.`);
          }}
        />
      )}
    </>
  );
}
