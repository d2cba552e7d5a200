// On a finished run: propose it as the production candidate (with a reason), or save its recipe for reuse.
import { useEffect, useState, type FormEvent } from 'react';
import type { Run } from '../../../shared/domain/run';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';
import { TestCandidateDialog } from '../projects/TestCandidateDialog';

export function CandidateActions({ run }: { run: Run }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const [proposing, setProposing] = useState(false);
  const [testing, setTesting] = useState(false);
  const project = useApp((s) => s.projects.find((p) => p.id === run.projectId));
  const [checkpoint, setCheckpoint] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [best, setBest] = useState<{ path: string; value: number | null; metric: string } | null>(null);
  useEffect(() => {
    setBest(null);
    if (run.status !== 'SUCCEEDED') return;
    let stale = false; // the best checkpoint of the run shown, never of the one shown before
    client.call('runs.checkpoints', { id: run.id }).then(
      (r) => !stale && setBest(r.best ? { path: r.best.path, value: r.best.value, metric: r.objective.metric } : null),
      (err: unknown) => !stale && notifyError(err),
    );
    return () => {
      stale = true;
    };
  }, [client, run.id, run.status, notifyError]);

  const propose = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const c = await client.call('candidates.propose', { run: run.id, reason, ...(checkpoint.trim() ? { checkpoint: checkpoint.trim() } : {}) });
      setProposing(false);
      notify('info', `Proposed as production candidate (${c.objective.metric} best ${c.objective.best === null ? '—' : c.objective.best.toPrecision(4)}).`);
    } catch (err) {
      setErrors(formErrors(err));
    }
  };
  const [savingRecipe, setSavingRecipe] = useState(false);
  const saveRecipe = async () => {
    setSavingRecipe(true);
    try {
      const p = await client.call('projects.setRecipe', { ref: run.projectId, fromRun: run.id });
      notify('info', `Saved: ${p.name} now reuses this run's recipe (${p.recipe?.name ?? run.recipe}) and parameters.`);
    } catch (err) {
      notifyError(err);
    } finally {
      setSavingRecipe(false);
    }
  };
  // The project's saved recipe is this run's: the button says so instead of offering it again.
  const isProjectRecipe = project?.recipe?.fromRunId === run.id;
  if (run.status !== 'SUCCEEDED' || run.kind !== 'train') return null;
  return (
    <>
      {project && (
        <button type="button" onClick={() => setTesting(true)}>
          Test against production…
        </button>
      )}
      {testing && project && <TestCandidateDialog project={project} candidate={{ runId: run.id, checkpoint: null }} onClose={() => setTesting(false)} />}
      <button
        type="button"
        onClick={() => void saveRecipe()}
        disabled={savingRecipe || isProjectRecipe}
        title={isProjectRecipe ? `${project?.name ?? 'The project'} launches with this run's recipe and parameters when asked to use its saved recipe.` : undefined}
      >
        {savingRecipe ? 'Saving recipe…' : isProjectRecipe ? 'Saved as project recipe ✓' : 'Save as project recipe'}
      </button>
      <button
        type="button"
        className="primary"
        onClick={() => {
          if (best && !checkpoint) setCheckpoint(best.path);
          setProposing(true);
        }}
      >
        Propose as production candidate
      </button>
      {proposing && (
        <Modal title="Propose as production candidate" onClose={() => setProposing(false)}>
          <form onSubmit={propose} noValidate>
            <Field
              label="Checkpoint (optional)"
              hint={
                best
                  ? `Best by ${best.metric}: ${best.path}${best.value !== null ? ` (${best.value.toPrecision(4)})` : ''}. Empty: the final outputs.`
                  : 'A path inside the run directory, e.g. checkpoints/step-400. Empty: the final outputs.'
              }
              error={errors.fields.checkpoint}
            >
              <input type="text" value={checkpoint} onChange={(e) => setCheckpoint(e.target.value)} spellCheck={false} />
            </Field>
            <Field label="Reason" error={errors.fields.reason ?? errors.form}>
              <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} />
            </Field>
            <div className="dialog-actions">
              <button type="button" onClick={() => setProposing(false)}>
                Cancel
              </button>
              <button type="submit" className="primary">
                Propose
              </button>
            </div>
          </form>
        </Modal>
      )}
    </>
  );
}
