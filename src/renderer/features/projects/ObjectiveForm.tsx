// What "best" means for a project: a metric and whether lower or higher is better. Changing it re-ranks
// the project's runs and checkpoints at once (they are scored when read, never stored scored).
import { useEffect, useState, type FormEvent } from 'react';
import type { Project } from '../../../shared/domain/project';
import { Field } from '../../components/Field';
import { formErrorsAt, plainText, type FormErrors } from '../../components/form-errors';
import { useApp, useClient } from '../../store/context';

export function ObjectiveForm({ project }: { project: Project }) {
  const client = useClient();
  const setObjective = useApp((s) => s.setProjectObjective);
  const notify = useApp((s) => s.notify);
  const [metric, setMetric] = useState(project.objective.metric);
  const [goal, setGoal] = useState(project.objective.goal);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [known, setKnown] = useState<string[]>([]);
  const changed = metric.trim() !== project.objective.metric || goal !== project.objective.goal;

  // The metrics the project's newest run logged, offered as suggestions (any name can be typed).
  useEffect(() => {
    let stale = false;
    void (async () => {
      try {
        const runs = await client.call('runs.list', { project: project.id });
        const newest = runs.find((r) => r.kind === 'train' && r.metricPoints > 0);
        if (!newest) return;
        const series = await client.call('metrics.series', { id: newest.id });
        if (!stale) setKnown([...new Set(series.filter((s) => s.stream === 'metrics').map((s) => s.name))].sort());
      } catch {
        // Only suggestions: the field works without them.
      }
    })();
    return () => {
      stale = true;
    };
  }, [client, project.id]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!metric.trim()) return setErrors({ fields: { metric: 'Give the metric that decides which run is best, e.g. eval_loss.' } });
    try {
      const p = await setObjective(project.id, { metric: metric.trim(), goal });
      setErrors({ fields: {} });
      notify('info', `Best now means ${p.objective.goal} ${p.objective.metric}.`);
    } catch (err) {
      // At its field when it is about one this form has; otherwise under the form, never dropped.
      setErrors(formErrorsAt(err, { fields: ['metric', 'goal'] }));
    }
  };
  const listId = `metrics-${project.id}`;
  return (
    <form onSubmit={submit} noValidate aria-label="Objective">
      <div className="field-row">
        <Field label="Objective metric" hint="The metric that decides which run and checkpoint is best" error={errors.fields.metric}>
          <input type="text" value={metric} onChange={(e) => setMetric(e.target.value)} list={listId} spellCheck={false} autoComplete="off" />
        </Field>
        <Field label="Goal" error={errors.fields.goal}>
          <select value={goal} onChange={(e) => setGoal(e.target.value as Project['objective']['goal'])}>
            <option value="minimize">minimize (lower is better)</option>
            <option value="maximize">maximize (higher is better)</option>
          </select>
        </Field>
      </div>
      <datalist id={listId}>
        {known.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      {errors.form && (
        <p className="form-error" role="alert">
          {plainText(errors.form)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!changed}>
          Save objective
        </button>
      </div>
    </form>
  );
}
