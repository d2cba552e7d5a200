// Launching a run: project, host, recipe, and a form generated from the recipe's parameters; on a
// SLURM cluster also the resources to ask for, and how many runs to submit as one job array. It warns
// when the host's last probe says the recipe cannot run there, and offers the project's saved recipe.
// Opened prefilled it relaunches a run (same parameters, or changed ones).
import { useMemo, useState, type FormEvent } from 'react';
import type { RunResources } from '../../../shared/domain/slurm';
import { whatHostLacks } from '../../../shared/recipe-fit';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { paramErrors, withParamRules } from '../../components/form-errors-params';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { formatTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { ClusterResources, clusterRequest, type ResourceValues } from './ClusterResources';
import './launch-dialog.css';

/** What a launch starts from: a project's page gives its project, a run's relaunch gives all of it. */
export interface LaunchStart {
  project?: string;
  host?: string;
  recipe?: string;
  params?: Record<string, unknown>;
  resources?: RunResources;
}

/** Parameter values as the form shows them (text); a list shows as "a, b". */
function paramText(params: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
}

function resourceText(r: RunResources | undefined): ResourceValues {
  return Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, String(v)]));
}

/** `onLaunched` gets every run made: one, or each run of a job array. */
export function LaunchDialog({ onClose, onLaunched, start, title = 'Launch run' }: { onClose: () => void; onLaunched: (ids: string[]) => void; start?: LaunchStart; title?: string }) {
  const client = useClient();
  const allProjects = useApp((s) => s.projects);
  const projects = useMemo(() => allProjects.filter((p) => !p.archived || p.id === start?.project), [allProjects, start?.project]);
  const hosts = useApp((s) => s.hosts);
  const recipes = useApp((s) => s.recipes);
  const setProbe = useApp((s) => s.setProbe);
  const [project, setProject] = useState(projects.find((p) => p.id === start?.project)?.id ?? projects[0]?.id ?? '');
  const [host, setHost] = useState(hosts.find((h) => h.name === start?.host)?.name ?? hosts[0]?.name ?? 'local');
  const [recipeName, setRecipeName] = useState(recipes.find((r) => r.name === start?.recipe)?.name ?? recipes[0]?.name ?? '');
  const [params, setParams] = useState<Record<string, string>>(paramText(start?.params));
  const [dataset, setDataset] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const [resources, setResources] = useState<ResourceValues>(resourceText(start?.resources));
  const [probing, setProbing] = useState(false);
  const recipe = recipes.find((r) => r.name === recipeName);
  const cluster = hosts.find((h) => h.name === host)?.slurm ?? null;
  const probe = useApp((s) => s.probes[host]);
  const probedAt = useApp((s) => s.probedAt[host]);
  const partitions = probe?.slurm?.partitions;
  const arrayCount = cluster ? clusterRequest(resources).array?.count : undefined;
  const saved = projects.find((p) => p.id === project)?.recipe ?? null;
  const lacks = recipe && probe ? whatHostLacks(recipe, probe) : [];
  const savedRecipe = saved ? recipes.find((r) => r.name === saved.name) : undefined;
  const savedFits = !savedRecipe || !probe || whatHostLacks(savedRecipe, probe).length === 0;
  const usingSaved = saved !== null && recipeName === saved.name && JSON.stringify(params) === JSON.stringify(paramText(saved.params));

  const useSaved = () => {
    if (!saved) return;
    setRecipeName(saved.name);
    setParams(paramText(saved.params));
  };
  const probeNow = async () => {
    setProbing(true);
    try {
      setProbe(host, await client.call('hosts.probe', { ref: host }));
    } catch (err) {
      setErrors(formErrors(err));
    } finally {
      setProbing(false);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // A list (custom's env) is sent as it was when its text was not changed; the rest as typed.
    const lists = { ...(start?.params ?? {}), ...(saved?.name === recipeName ? saved.params : {}) };
    const asSent = (k: string, v: string) => (Array.isArray(lists[k]) && paramText({ [k]: lists[k] })[k] === v ? (lists[k] as string[]) : v);
    const given = Object.fromEntries(
      Object.entries(params)
        .filter(([k, v]) => v.trim() !== '' && recipe?.params.some((p) => p.name === k))
        .map(([k, v]) => [k, asSent(k, v)]),
    );
    // Numbers are checked here against the recipe's own rule (whole, bounds), so the sentence names the rule.
    const typed = paramErrors(recipe?.params ?? [], params);
    const request = cluster ? clusterRequest(resources) : null;
    const early = { ...typed, ...(request?.errors ?? {}) };
    if (Object.keys(early).length) return setErrors({ fields: early });
    setBusy(true);
    const input = {
      project,
      host,
      recipe: recipeName,
      params: given,
      ...(dataset.trim() ? { dataset: dataset.trim() } : {}),
      ...(code.trim() ? { code: code.trim() } : {}),
      ...(request && Object.keys(request.resources).length ? { resources: request.resources } : {}),
    };
    try {
      // SLURM_SUBMIT_REFUSED comes back as a sentence (what SLURM said, what to change): shown above the buttons.
      if (request?.array) onLaunched((await client.call('runs.launchArray', { ...input, array: request.array })).map((r) => r.id));
      else onLaunched([(await client.call('runs.launch', input)).id]);
    } catch (err) {
      setErrors(withParamRules(formErrors(err), recipe?.params ?? []));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Project" error={errors.fields.project}>
          <select value={project} onChange={(e) => setProject(e.target.value)}>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Host" error={errors.fields.host}>
          <select
            value={host}
            onChange={(e) => {
              setHost(e.target.value);
              setResources({}); // another cluster has other partitions and defaults
            }}
          >
            {hosts.map((h) => (
              <option key={h.id} value={h.name}>
                {h.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Recipe" hint={recipe ? `${recipe.summary}. Needs: ${recipe.needs}.` : undefined}>
          <select value={recipeName} onChange={(e) => setRecipeName(e.target.value)}>
            {recipes.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </Field>
        {lacks.length > 0 && recipe && (
          <div className="launch-warning" role="alert">
            <p>
              <strong>
                {recipe.name} cannot run on {host}:
              </strong>{' '}
              its last probe{probedAt ? ` (${formatTime(probedAt)})` : ''} found that it lacks {lacks.join(' and ')}. Install what is missing there and probe again, or choose another host or recipe.
            </p>
          </div>
        )}
        {!probe && recipe && (recipe.requires.packages.length > 0 || recipe.requires.python) && (
          <p className="muted launch-note">
            {host} has not been probed, so what it has is not checked.{' '}
            <button type="button" className="link-button" onClick={() => void probeNow()} disabled={probing}>
              {probing ? `Probing ${host}…` : `Probe ${host} now`}
            </button>
          </p>
        )}
        {saved && !usingSaved && (
          <p className="launch-note">
            This project has a saved recipe: <strong>{saved.name}</strong> with the parameters of run <span className="mono">{saved.fromRunId}</span>
            {!savedFits && ` (the last probe says ${host} cannot run it either)`}.{' '}
            <button type="button" onClick={useSaved}>
              Use the saved recipe
            </button>
          </p>
        )}
        <fieldset className="params">
          <legend>Parameters</legend>
          {recipe?.params.map((p) => (
            <Field
              key={`${recipeName}-${p.name}`}
              label={p.name}
              hint={`${p.help}${p.default !== null && p.default !== undefined ? ` (default ${String(p.default)})` : ''}`}
              error={errors.fields[`params.${p.name}`]}
            >
              <input
                type="text"
                value={params[p.name] ?? ''}
                placeholder={p.default === null || p.default === undefined ? '' : String(p.default)}
                onChange={(e) => setParams({ ...params, [p.name]: e.target.value })}
                spellCheck={false}
              />
            </Field>
          ))}
        </fieldset>
        {cluster && (
          <ClusterResources
            defaults={cluster}
            partitions={partitions}
            values={resources}
            errors={errors.fields}
            onChange={(values) => {
              setResources(values);
              // SLURM's refusal was about the resources asked for: once they change, it no longer applies.
              setErrors(({ fields }) => ({ fields }));
            }}
          />
        )}
        <Field
          label="Dataset file (optional)"
          hint={
            start?.params
              ? 'A JSONL file on this computer; uploaded once per host. Not taken from the run relaunched: give it again if it had one.'
              : 'A JSONL file on this computer; uploaded once per host.'
          }
          error={errors.fields.dataset}
        >
          <input type="text" value={dataset} onChange={(e) => setDataset(e.target.value)} spellCheck={false} />
        </Field>
        <Field label="Code directory (optional)" hint="Uploaded as git sees it; the commit and uncommitted changes are recorded." error={errors.fields.code}>
          <input type="text" value={code} onChange={(e) => setCode(e.target.value)} spellCheck={false} />
        </Field>
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Launching…' : arrayCount ? `Launch ${arrayCount} runs` : 'Launch'} disabled={busy || !project || !recipeName} />
      </form>
    </Modal>
  );
}
