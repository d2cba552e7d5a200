// A project's continuous training: its datasets and their versions, its triggers (a new version, a
// schedule, by hand), and every firing with why it fired and what it produced, or why not.
import { useEffect, useState } from 'react';
import type { Dataset, Firing, Trigger } from '../../../shared/domain/continuous';
import type { Project } from '../../../shared/domain/project';
import { useChanges } from '../../api/use-changes';
import { Field } from '../../components/Field';
import { formErrorsAt, plainText, type FormErrors } from '../../components/form-errors';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import './project-triggers.css';

const STATUS_WORDS: Record<Firing['status'], string> = {
  QUEUED: 'waiting its turn',
  TRAINING: 'training',
  TESTING: 'testing against production',
  PROPOSED: 'proposed as the candidate',
  NOT_PROPOSED: 'not proposed',
  FAILED: 'failed',
  COLLAPSED: 'collapsed into another',
  SKIPPED: 'skipped',
};

const describeTrigger = (t: Trigger) => (t.kind === 'dataset' ? `each new version of ${t.datasetName}` : t.kind === 'schedule' ? `on schedule ${t.schedule}` : 'by hand');

export function ProjectTriggers({ project }: { project: Project }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const notifyError = useApp((s) => s.notifyError);
  const hosts = useApp((s) => s.hosts);
  const [triggers, setTriggers] = useState<Trigger[]>([]);
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [history, setHistory] = useState<Firing[]>([]);
  const [ownTick, setTick] = useState(0);
  const [kind, setKind] = useState<Trigger['kind']>('dataset');
  const [dataset, setDataset] = useState('');
  const [schedule, setSchedule] = useState('0 3 * * *');
  const [host, setHost] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const tick = ownTick + useChanges('projects.changed', (p) => p.projectId === null || p.projectId === project.id);
  useEffect(() => {
    Promise.all([client.call('triggers.list', { project: project.id }), client.call('datasets.list', { project: project.id }), client.call('triggers.history', { project: project.id })]).then(
      ([t, d, h]) => {
        setTriggers(t);
        setDatasets(d);
        setHistory(h);
      },
      notifyError,
    );
  }, [client, project.id, tick, notifyError]);

  const add = async () => {
    setErrors({ fields: {} });
    try {
      await client.call('triggers.add', { project: project.id, kind, host: host || hosts[0]!.name, ...(dataset ? { dataset } : {}), ...(kind === 'schedule' ? { schedule } : {}) });
      setTick((t) => t + 1);
    } catch (err) {
      // Each refusal beside what it is about; one about the project (no saved recipe yet) under the form.
      setErrors(
        formErrorsAt(err, {
          fields: ['kind', 'dataset', 'schedule', 'host'],
          codes: { DATASET_NOT_FOUND: 'dataset', HOST_NOT_FOUND: 'host' },
          sentences: [[/is not a schedule/, 'schedule']],
        }),
      );
    }
  };
  const runLink = (id: string, label: string) => (
    <a
      href={`#/runs/${id}`}
      onClick={(e) => {
        e.preventDefault();
        navigate({ area: 'runs', runId: id });
      }}
    >
      {label}
    </a>
  );

  return (
    <section className="card wide ct-card" aria-labelledby="ct-heading">
      <h2 id="ct-heading">Continuous training</h2>
      <p className="muted">
        A trigger trains the project&apos;s saved recipe again on new data, tests it against production with the pinned suite, and proposes it as the candidate on a PASS. Approving it stays a
        person&apos;s decision.
      </p>
      {datasets.length > 0 && (
        <table className="data-table" aria-label="Datasets">
          <thead>
            <tr>
              <th>Dataset</th>
              <th>Versions</th>
              <th>Newest</th>
              <th>First lines</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id}>
                <td>
                  {d.name}
                  {d.watch && <div className="muted">watching {d.watch.path}</div>}
                  {d.watch?.error && <div className="field-error">{d.watch.error}</div>}
                </td>
                <td>{d.versions}</td>
                <td className="nowrap">{d.latest ? `v${d.latest.version} · ${d.latest.lines} lines · ${d.latest.sha256.slice(0, 10)}…` : '—'}</td>
                <td className="mono preview">{d.latest?.preview.split('\n')[0]?.slice(0, 80) ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <table className="data-table" aria-label="Triggers">
        <thead>
          <tr>
            <th>Fires</th>
            <th>Trains on</th>
            <th>Host</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {triggers.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No triggers yet.
              </td>
            </tr>
          )}
          {triggers.map((t) => (
            <tr key={t.id}>
              <td>
                {describeTrigger(t)}
                {!t.enabled && <span className="muted"> (off)</span>}
              </td>
              <td>{t.datasetName ? `newest ${t.datasetName}` : 'the recipe’s own data'}</td>
              <td>{t.hostName}</td>
              <td className="nowrap">
                <button type="button" onClick={() => client.call('triggers.fire', { trigger: t.id }).then(() => setTick((n) => n + 1), notifyError)}>
                  Fire now
                </button>{' '}
                <button type="button" onClick={() => client.call('triggers.enable', { trigger: t.id, enabled: !t.enabled }).then(() => setTick((n) => n + 1), notifyError)}>
                  {t.enabled ? 'Turn off' : 'Turn on'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="ct-add"
        aria-label="Add a trigger"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <Field label="Fire" error={errors.fields.kind}>
          <select value={kind} onChange={(e) => setKind(e.target.value as Trigger['kind'])}>
            <option value="dataset">on a new dataset version</option>
            <option value="schedule">on a schedule</option>
            <option value="manual">by hand</option>
          </select>
        </Field>
        <Field label="Dataset" error={errors.fields.dataset}>
          <select value={dataset} onChange={(e) => setDataset(e.target.value)}>
            <option value="">{kind === 'dataset' ? 'choose…' : 'none (the recipe’s own)'}</option>
            {datasets.map((d) => (
              <option key={d.id}>{d.name}</option>
            ))}
          </select>
        </Field>
        {kind === 'schedule' && (
          <Field label="Schedule (cron)" hint="minute hour day month weekday; a window missed while the app was closed runs once" error={errors.fields.schedule}>
            <input type="text" className="mono" value={schedule} onChange={(e) => setSchedule(e.target.value)} />
          </Field>
        )}
        <Field label="Host" error={errors.fields.host}>
          <select value={host || hosts[0]?.name || ''} onChange={(e) => setHost(e.target.value)}>
            {hosts.map((h) => (
              <option key={h.id}>{h.name}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Add trigger</button>
      </form>
      {errors.form && (
        <p className="form-error" role="alert">
          {plainText(errors.form)}
        </p>
      )}
      {history.length > 0 && (
        <table className="data-table" aria-label="Trigger history">
          <thead>
            <tr>
              <th>Fired</th>
              <th>Why</th>
              <th>Status</th>
              <th>Produced</th>
              <th>What happened</th>
            </tr>
          </thead>
          <tbody>
            {history.map((f) => (
              <tr key={f.id}>
                <td className="nowrap">{formatShortTime(f.firedAt)}</td>
                <td>{f.reason}</td>
                <td className="nowrap">{STATUS_WORDS[f.status]}</td>
                <td className="nowrap">
                  {f.runId ? runLink(f.runId, 'run') : '—'}
                  {f.testId && (
                    <>
                      {' · '}
                      <a
                        href={`#/reviews/${f.testId}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate({ area: 'reviews', testId: f.testId! });
                        }}
                      >
                        test
                      </a>
                    </>
                  )}
                </td>
                <td className="muted">{f.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
