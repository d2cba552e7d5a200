// Defining a sweep in the UI: the same file `tunebench sweep create` reads, built from a form. The search
// space is written as in the file (one parameter per line), with an example for the chosen recipe.
import { useEffect, useState } from 'react';
import type { RecipeInfo } from '../../../shared/domain/run';
import type { Sweep } from '../../../shared/domain/sweep';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';

const EXAMPLES: Record<string, string> = {
  'demo-lora-stdlib': 'lr: {loguniform: [0.1, 10.0]}\nrank: {choice: [2, 4, 8]}\neval_every: 10',
  'demo-lora-torch': 'lr: {loguniform: [0.0001, 0.01]}\nrank: {choice: [4, 8, 16]}\neval_every: 10',
};

export function NewSweepDialog({ onClose, onStarted }: { onClose: () => void; onStarted: (sweep: Sweep) => void }) {
  const client = useClient();
  const projects = useApp((s) => s.projects).filter((p) => !p.archived);
  const hosts = useApp((s) => s.hosts).filter((h) => !h.slurm);
  const [recipes, setRecipes] = useState<RecipeInfo[]>([]);
  const [project, setProject] = useState(projects[0]?.name ?? '');
  const [host, setHost] = useState(hosts[0]?.name ?? '');
  // More hosts: trials spread over all of them, and this app drives the sweep.
  const [alsoOn, setAlsoOn] = useState<string[]>([]);
  const more = alsoOn.filter((h) => h !== host);
  const [recipe, setRecipe] = useState('demo-lora-stdlib');
  const [method, setMethod] = useState<'asha' | 'random' | 'grid'>('asha');
  const [eta, setEta] = useState('3');
  const [minResource, setMin] = useState('10');
  const [maxResource, setMax] = useState('90');
  const [trials, setTrials] = useState('12');
  const [concurrency, setConcurrency] = useState('4');
  const [space, setSpace] = useState(EXAMPLES['demo-lora-stdlib']!);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    client.call('recipes.list', {}).then(setRecipes, () => setRecipes([]));
  }, [client]);

  const changeRecipe = (name: string) => {
    // A recipe's example replaces the space only while it is still the previous recipe's example.
    if (Object.values(EXAMPLES).includes(space) || space.trim() === '') setSpace(EXAMPLES[name] ?? '');
    setRecipe(name);
  };

  /** The sweep file, as YAML: each line of the space becomes a parameter under params. */
  const sweepFile = () =>
    [
      `project: ${JSON.stringify(project)}`,
      more.length ? `hosts: ${JSON.stringify([host, ...more])}` : `host: ${JSON.stringify(host)}`,
      `recipe: ${JSON.stringify(recipe)}`,
      method === 'asha' ? `method: {name: asha, eta: ${eta}, min_resource: ${minResource}, max_resource: ${maxResource}, resource: step}` : `method: {name: ${method}}`,
      ...(method === 'grid' && trials.trim() === '' ? [] : [`trials: ${trials}`]),
      `concurrency: ${concurrency}`,
      'params:',
      ...space
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => `  ${l.trim()}`),
      '',
    ].join('\n');

  /** The numbers typed, checked here first: each wrong one said beside its field, in words. */
  const numberErrors = (): Record<string, string> => {
    const out: Record<string, string> = {};
    const whole = (field: string, label: string, value: string, least: number, optional = false) => {
      if (optional && value.trim() === '') return;
      if (!/^\s*\d+\s*$/.test(value) || Number(value) < least) out[field] = `${label} must be a whole number, ${least} or more.`;
    };
    if (method === 'asha') {
      whole('eta', 'The reduction factor', eta, 2);
      whole('min', 'The first rung', minResource, 1);
      whole('max', 'The last rung', maxResource, 1);
      if (!out.min && !out.max && Number(maxResource) <= Number(minResource)) out.max = `The last rung must be more steps than the first (${minResource.trim()}).`;
    }
    whole('trials', 'Trials', trials, 1, method === 'grid');
    whole('concurrency', 'At a time', concurrency, 1);
    if (!space.trim()) out.space = 'Give at least one parameter to search, e.g. lr: {loguniform: [0.1, 10.0]}.';
    return out;
  };

  const submit = async () => {
    const local = numberErrors();
    if (Object.keys(local).length) return setErrors({ fields: local });
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const created = await client.call('sweeps.create', { text: sweepFile(), fileName: 'The sweep' });
      onStarted(await client.call('sweeps.start', { sweep: created.id }));
    } catch (err) {
      // The engine names the part of the sweep file it refuses ("The sweep: params.lr: ..."): shown at that field.
      setErrors(
        formErrorsAt(err, {
          fields: ['project', 'host', 'eta', 'min', 'max', 'trials', 'concurrency', 'space'],
          codes: { PROJECT_NOT_FOUND: 'project', HOST_NOT_FOUND: 'host' },
          sentences: [
            [/^The sweep: (params|the grid)/, 'space'],
            [/^The sweep: method\.eta/, 'eta'],
            [/^The sweep: method\.min_resource/, 'min'],
            [/^The sweep: method\.max_resource/, 'max'],
            [/^The sweep: (trials|method \w+ needs a trial budget)/, 'trials'],
            [/^The sweep: concurrency/, 'concurrency'],
            [/^The sweep: (hosts?\b|host )/, 'host'],
            [/^The sweep: project/, 'project'],
          ],
        }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="New sweep" onClose={onClose} wide>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="sweep-form-row">
          <Field label="Project" error={errors.fields.project}>
            <select value={project} onChange={(e) => setProject(e.target.value)}>
              {projects.map((p) => (
                <option key={p.id}>{p.name}</option>
              ))}
            </select>
          </Field>
          <Field
            label="Host"
            error={errors.fields.host}
            hint={
              more.length
                ? `Trials run here and on ${more.join(', ')}: this app starts, judges and stops them, so the sweep waits while the app is closed.`
                : 'Trials run here; the scheduler runs beside them, so the sweep goes on while the app is closed.'
            }
          >
            <select value={host} onChange={(e) => setHost(e.target.value)}>
              {hosts.map((h) => (
                <option key={h.id}>{h.name}</option>
              ))}
            </select>
          </Field>
          {hosts.length > 1 && (
            <fieldset className="sweep-also-on">
              <legend>Also on</legend>
              {hosts
                .filter((h) => h.name !== host)
                .map((h) => (
                  <label key={h.id} className="checkbox">
                    <input type="checkbox" checked={alsoOn.includes(h.name)} onChange={(e) => setAlsoOn((now) => (e.target.checked ? [...now, h.name] : now.filter((n) => n !== h.name)))} /> {h.name}
                  </label>
                ))}
            </fieldset>
          )}
          <Field label="Recipe">
            <select value={recipe} onChange={(e) => changeRecipe(e.target.value)}>
              {(recipes.length ? recipes.map((r) => r.name) : [recipe]).map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </Field>
        </div>
        <div className="sweep-form-row">
          <Field label="Method" hint="ASHA stops trials that fall behind at each rung; random and grid run every trial to the end.">
            <select value={method} onChange={(e) => setMethod(e.target.value as typeof method)}>
              <option value="asha">ASHA</option>
              <option value="random">Random</option>
              <option value="grid">Grid</option>
            </select>
          </Field>
          {method === 'asha' && (
            <>
              <Field label="Reduction factor (eta)" hint="The top 1/eta of each rung goes on." error={errors.fields.eta}>
                <input type="text" inputMode="numeric" value={eta} onChange={(e) => setEta(e.target.value)} />
              </Field>
              <Field label="First rung (steps)" error={errors.fields.min}>
                <input type="text" inputMode="numeric" value={minResource} onChange={(e) => setMin(e.target.value)} />
              </Field>
              <Field label="Last rung (steps)" hint="Trials that are never stopped train this long." error={errors.fields.max}>
                <input type="text" inputMode="numeric" value={maxResource} onChange={(e) => setMax(e.target.value)} />
              </Field>
            </>
          )}
        </div>
        <div className="sweep-form-row">
          <Field label="Trials" hint={method === 'grid' ? 'Leave empty for the whole grid.' : 'How many configurations to try.'} error={errors.fields.trials}>
            <input type="text" inputMode="numeric" value={trials} onChange={(e) => setTrials(e.target.value)} />
          </Field>
          <Field label="At a time" hint="Trials running at once (each gets its own GPU on a host with GPUs)." error={errors.fields.concurrency}>
            <input type="text" inputMode="numeric" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
          </Field>
        </div>
        <Field label="Search space" error={errors.fields.space} hint="One parameter per line: name: {choice: [...]}, {uniform: [a, b]}, {loguniform: [a, b]}, {int: [a, b]}, or a fixed value.">
          <textarea className="mono" rows={6} value={space} onChange={(e) => setSpace(e.target.value)} spellCheck={false} />
        </Field>
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Starting…' : 'Start sweep'} disabled={busy || !project || !host} />
      </form>
    </Modal>
  );
}
