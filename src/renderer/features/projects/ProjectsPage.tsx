// The list of projects: create, open, and show archived ones; each with its runs, best objective value and last activity.
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../store/context';
import { formatShortTime } from '../../format';
import { FirstSteps } from './FirstSteps';
import { NewProjectDialog } from './NewProjectDialog';
import { formatValue, useProjectSummaries } from './use-project-summaries';

export function ProjectsPage() {
  const projects = useApp((s) => s.projects);
  const loaded = useApp((s) => s.projectsLoaded);
  const showArchived = useApp((s) => s.showArchived);
  const setShowArchived = useApp((s) => s.setShowArchived);
  const navigate = useApp((s) => s.navigate);
  const [creating, setCreating] = useState(false);
  const shown = showArchived ? projects : projects.filter((p) => !p.archived);
  const archivedCount = projects.filter((p) => p.archived).length;
  const summaries = useProjectSummaries();

  return (
    <>
      <header className="page-header">
        <h1>Projects</h1>
        <div className="toolbar">
          <label className="checkbox">
            <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
            Show archived{archivedCount > 0 ? ` (${archivedCount})` : ''}
          </label>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New project
          </button>
        </div>
      </header>
      {!loaded ? (
        <p className="muted" role="status">
          Loading projects…
        </p>
      ) : projects.length === 0 ? (
        <FirstSteps onCreate={() => setCreating(true)} />
      ) : shown.length === 0 ? (
        <EmptyState
          title={projects.length === 0 ? 'No projects yet' : 'No active projects'}
          action={
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create your first project
            </button>
          }
        >
          <p>A project holds a base model and the fine-tuning runs you make from it: their configs, logs, metrics and reviews.</p>
        </EmptyState>
      ) : (
        <table className="data-table" aria-label="Projects">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Base model</th>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Runs
              </th>
              <th scope="col">Best objective</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.id} className={p.archived ? 'archived' : undefined}>
                <td>
                  <a
                    href={`#/projects/${p.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate({ area: 'projects', projectId: p.id });
                    }}
                  >
                    {p.name}
                  </a>
                  {p.archived && <span className="badge">archived</span>}
                </td>
                <td className="mono">{p.baseModel || <span className="muted">—</span>}</td>
                <td className="clip">{p.description || <span className="muted">—</span>}</td>
                <td className="num">{summaries?.get(p.id)?.runs ?? '…'}</td>
                <td className="nowrap" title={`${p.objective.goal} ${p.objective.metric}`}>
                  <BestCell best={summaries?.get(p.id)?.best} metric={p.objective.metric} goal={p.objective.goal} />
                </td>
                <td className="nowrap">{formatShortTime(summaries?.get(p.id)?.lastActivityAt ?? p.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewProjectDialog
          onClose={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            navigate({ area: 'projects', projectId: p.id });
          }}
        />
      )}
    </>
  );
}

/** "0.8123 eval_loss ↓": the project's best value of its objective, or a dash before any run logged it. */
function BestCell({ best, metric, goal }: { best: { value: number; runId: string } | null | undefined; metric: string; goal: 'minimize' | 'maximize' }) {
  if (best === undefined) return <span className="muted">…</span>;
  if (best === null) return <span className="muted">— {metric}</span>;
  return (
    <>
      <span className="mono">{formatValue(best.value)}</span>{' '}
      <span className="muted">
        {metric} {goal === 'minimize' ? '↓' : '↑'}
      </span>
    </>
  );
}
