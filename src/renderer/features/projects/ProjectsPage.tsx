// The list of projects: create, open, and show archived ones.
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../store/context';
import { formatTime } from '../../format';
import { NewProjectDialog } from './NewProjectDialog';

export function ProjectsPage() {
  const projects = useApp((s) => s.projects);
  const loaded = useApp((s) => s.projectsLoaded);
  const showArchived = useApp((s) => s.showArchived);
  const setShowArchived = useApp((s) => s.setShowArchived);
  const navigate = useApp((s) => s.navigate);
  const [creating, setCreating] = useState(false);
  const shown = showArchived ? projects : projects.filter((p) => !p.archived);
  const archivedCount = projects.filter((p) => p.archived).length;

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
              <th scope="col">Updated</th>
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
                <td className="nowrap">{formatTime(p.updatedAt)}</td>
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
