// A project's production candidates, newest first, with the objective value each reached.
import { useEffect, useState } from 'react';
import type { Candidate, Project } from '../../../shared/domain/project';
import { formatTime } from '../../format';
import { useChanges } from '../../api/use-changes';
import { useApp, useClient } from '../../store/context';
import { TestCandidateDialog } from './TestCandidateDialog';

export function ProjectCandidates({ project }: { project: Project }) {
  const projectId = project.id;
  // A proposal does not always move the project's updatedAt (one from the CLI never did): the event says it.
  const changes = useChanges('projects.changed', (e) => e.projectId === null || e.projectId === projectId);
  const [testing, setTesting] = useState<Candidate | null>(null);
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const notifyError = useApp((s) => s.notifyError);
  const [candidates, setCandidates] = useState<Candidate[] | null>(null);
  useEffect(() => {
    client.call('candidates.list', { project: projectId }).then(setCandidates, (err: unknown) => {
      setCandidates([]);
      notifyError(err);
    });
  }, [client, projectId, changes, notifyError]);
  return (
    <section className="card wide" aria-labelledby="candidates-heading">
      <h2 id="candidates-heading">Production candidates</h2>
      {candidates === null ? (
        <p className="muted">Loading…</p>
      ) : candidates.length === 0 ? (
        <p className="muted">None yet. Open a finished run and choose “Propose as production candidate”.</p>
      ) : (
        <table className="data-table" aria-label="Production candidates">
          <thead>
            <tr>
              <th>Run</th>
              <th>Checkpoint</th>
              <th>Objective</th>
              <th>Proposed</th>
              <th>Reason</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {candidates.map((c) => (
              <tr key={c.id}>
                <td className="mono">
                  <a
                    href={`#/runs/${c.runId}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate({ area: 'runs', runId: c.runId });
                    }}
                  >
                    {c.runId.slice(-8)}
                  </a>
                </td>
                <td className="mono">{c.checkpoint ?? 'final'}</td>
                <td>
                  {c.objective.metric} {c.objective.best === null ? '—' : c.objective.best.toPrecision(4)}
                  {c.objective.step !== null && <span className="muted"> @ {c.objective.step}</span>}
                </td>
                <td className="nowrap">{formatTime(c.proposedAt)}</td>
                <td className="clip">{c.reason}</td>
                <td className="nowrap">
                  <button type="button" onClick={() => setTesting(c)}>
                    Test against production…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {testing && <TestCandidateDialog project={project} candidate={testing} onClose={() => setTesting(null)} />}
    </section>
  );
}
