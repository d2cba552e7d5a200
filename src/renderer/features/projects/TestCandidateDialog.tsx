// Starting a test run from a candidate: which suite, and what to compare with (production by default).
import { useEffect, useState, type FormEvent } from 'react';
import type { Project } from '../../../shared/domain/project';
import type { Suite } from '../../../shared/domain/testing';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';

/** `candidate` is a training run and optionally a checkpoint in it: a proposed candidate, or any finished run. */
export function TestCandidateDialog({ project, candidate, onClose }: { project: Project; candidate: { runId: string; checkpoint: string | null }; onClose: () => void }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const [suites, setSuites] = useState<Suite[]>([]);
  const [suite, setSuite] = useState('');
  const [baseline, setBaseline] = useState(project.production ? 'production' : 'base');
  const [other, setOther] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    client.call('suites.list', { project: project.id }).then(
      (list) => {
        setSuites(list);
        if (list[0]) setSuite(`${list[0].name}@${list[0].version}`);
      },
      (err: unknown) => setErrors({ fields: { suite: `Could not list the suites: ${err instanceof Error ? err.message : String(err)}` } }),
    );
  }, [client, project.id]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const t = await client.call('tests.start', {
        project: project.id,
        candidate: candidate.checkpoint ? `${candidate.runId}:${candidate.checkpoint}` : candidate.runId,
        suite,
        baseline: baseline === 'run' ? other.trim() : baseline,
      });
      onClose();
      navigate({ area: 'reviews', testId: t.id });
    } catch (err) {
      // A suite or a run that is not there is said at its field; anything else under the form.
      const other = baseline === 'run' ? 'other' : 'baseline';
      setErrors(formErrorsAt(err, { fields: ['suite', 'baseline', 'other'], codes: { SUITE_NOT_FOUND: 'suite', RUN_NOT_FOUND: other, CHECKPOINT_NOT_FOUND: other }, paths: { baseline: other } }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Test against production" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p className="muted">
          Candidate <span className="mono">{candidate.runId}</span>
          {candidate.checkpoint ? ` at ${candidate.checkpoint}` : ''}. Both models answer the same cases on the host that holds their files, greedy and with the same seed.
        </p>
        <Field label="Suite" hint={suites.length ? undefined : 'Add a suite on the project page first.'} error={errors.fields.suite}>
          <select value={suite} onChange={(e) => setSuite(e.target.value)}>
            {suites.map((s) => (
              <option key={s.id} value={`${s.name}@${s.version}`}>
                {s.name}@{s.version} ({s.cases} cases)
              </option>
            ))}
          </select>
        </Field>
        <Field label="Compare with" error={errors.fields.baseline}>
          <select value={baseline} onChange={(e) => setBaseline(e.target.value)}>
            <option value="production" disabled={!project.production}>
              the model in production{project.production ? ` (${project.production.runId.slice(-8)})` : ' (none set)'}
            </option>
            <option value="base">the base model</option>
            <option value="run">another run…</option>
          </select>
        </Field>
        {baseline === 'run' && (
          <Field label="Run" hint="RUN or RUN:CHECKPOINT" error={errors.fields.other}>
            <input type="text" value={other} onChange={(e) => setOther(e.target.value)} spellCheck={false} autoComplete="off" />
          </Field>
        )}
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Starting…' : 'Start test run'} disabled={busy || !suite || (baseline === 'run' && !other.trim())} />
      </form>
    </Modal>
  );
}
