// One project: its runs and a launch button, its objective, rename it, change its description and base
// model, archive or bring it back.
import { useState } from 'react';
import { BackLink } from '../../components/BackLink';
import { EmptyState } from '../../components/EmptyState';
import { Modal } from '../../components/Modal';
import { useApp } from '../../store/context';
import { formatTime } from '../../format';
import { LaunchDialog } from '../runs/LaunchDialog';
import { ObjectiveForm } from './ObjectiveForm';
import { ProjectCandidates } from './ProjectCandidates';
import { ProjectDetailsForm } from './ProjectDetailsForm';
import { ProjectRuns } from './ProjectRuns';
import { ProjectSuites } from './ProjectSuites';
import { ProjectTriggers } from './ProjectTriggers';
import { RenameForm } from './RenameForm';
import { formatValue, useProjectSummaries } from './use-project-summaries';

export function ProjectDetailPage({ projectId }: { projectId: string }) {
  const project = useApp((s) => s.projects.find((p) => p.id === projectId));
  const loaded = useApp((s) => s.projectsLoaded);
  const setArchived = useApp((s) => s.setProjectArchived);
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const [renaming, setRenaming] = useState(false);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [launching, setLaunching] = useState(false);
  const navigate = useApp((s) => s.navigate);
  const summary = useProjectSummaries()?.get(projectId);

  const back = <BackLink to={{ area: 'projects' }} label="Projects" />;

  if (!project) {
    return (
      <>
        {back}
        {loaded ? (
          <EmptyState title="Project not found">
            <p>There is no project with id {projectId}. It may have been created in another data directory.</p>
          </EmptyState>
        ) : (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
      </>
    );
  }

  const archive = async (archived: boolean) => {
    try {
      await setArchived(project.id, archived);
      notify('info', archived ? `Archived ${project.name}.` : `${project.name} is active again.`);
    } catch (err) {
      notifyError(err);
    }
  };

  return (
    <>
      {back}
      <header className="page-header">
        {renaming ? (
          <RenameForm project={project} onDone={() => setRenaming(false)} />
        ) : (
          <h1>
            {project.name}
            {project.archived && <span className="badge">archived</span>}
          </h1>
        )}
        {!renaming && (
          <div className="toolbar">
            {!project.archived && (
              <button type="button" className="primary" onClick={() => setLaunching(true)}>
                Launch run
              </button>
            )}
            <button type="button" onClick={() => setRenaming(true)}>
              Rename
            </button>
            {project.archived ? (
              <button type="button" onClick={() => void archive(false)}>
                Unarchive
              </button>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirmArchive(true)}>
                Archive
              </button>
            )}
          </div>
        )}
      </header>
      <dl className="meta">
        <dt>ID</dt>
        <dd className="mono">{project.id}</dd>
        <dt>Created</dt>
        <dd>{formatTime(project.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(project.updatedAt)}</dd>
        <dt>Best {project.objective.metric}</dt>
        <dd>
          {summary?.best ? (
            <>
              <span className="mono">{formatValue(summary.best.value)}</span> <span className="muted">in run</span> <span className="mono">{summary.best.runId}</span>
            </>
          ) : (
            <span className="muted">{summary ? 'no run has logged it yet' : '…'}</span>
          )}
        </dd>
      </dl>
      <ProjectRuns projectId={project.id} bestRunId={summary?.best?.runId ?? null} onLaunch={project.archived ? null : () => setLaunching(true)} />
      <section className="card" aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <ProjectDetailsForm key={`${project.id}-${project.updatedAt}`} project={project} />
      </section>
      <ProjectCandidates project={project} />
      <ProjectSuites projectId={project.id} />
      <ProjectTriggers project={project} />
      <section className="card" aria-labelledby="recipe-heading">
        <h2 id="recipe-heading">Objective and recipe</h2>
        <ObjectiveForm key={`${project.id}-${project.objective.metric}-${project.objective.goal}`} project={project} />
        {project.recipe ? (
          <p>
            Reuses <strong>{project.recipe.name}</strong> with the parameters of run <code>{project.recipe.fromRunId}</code>:{' '}
            <span className="mono params-line">
              {Object.entries(project.recipe.params)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join('  ')}
            </span>
            {project.recipe.code && (
              <>
                <br />
                Code: <code>{project.recipe.code.dir}</code>{' '}
                {project.recipe.code.commit && !project.recipe.code.dirty
                  ? `at commit ${project.recipe.code.commit.slice(0, 12)} (trained again from that commit when the folder moves on)`
                  : `as it was then (sha256 ${project.recipe.code.digest.slice(0, 12)}…; not a commit, so it cannot be restored once it changes)`}
              </>
            )}
          </p>
        ) : (
          <p className="muted">No saved recipe yet. On a finished run, choose “Save as project recipe”.</p>
        )}
      </section>
      {launching && (
        <LaunchDialog
          start={{ project: project.id }}
          onClose={() => setLaunching(false)}
          onLaunched={(ids) => {
            setLaunching(false);
            if (ids.length === 1) navigate({ area: 'runs', runId: ids[0]! });
          }}
        />
      )}
      {confirmArchive && (
        <Modal title={`Archive ${project.name}?`} onClose={() => setConfirmArchive(false)}>
          <p>The project is hidden from lists. Nothing is deleted, and you can bring it back at any time.</p>
          <div className="dialog-actions">
            <button type="button" onClick={() => setConfirmArchive(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirmArchive(false);
                void archive(true);
              }}
            >
              Archive project
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
