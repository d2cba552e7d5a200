// Launching a run: project, host, recipe, and a form generated from the recipe's parameters; on a
// SLURM cluster also the resources to ask for, and how many runs to submit as one job array.
import { useMemo, useState, type FormEvent } from 'react';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';
import { ClusterResources, clusterRequest, type ResourceValues } from './ClusterResources';

/** `onLaunched` gets every run made: one, or each run of a job array. */
export function LaunchDialog({ onClose, onLaunched }: { onClose: () => void; onLaunched: (ids: string[]) => void }) {
  const client = useClient();
  const allProjects = useApp((s) => s.projects);
  const projects = useMemo(() => allProjects.filter((p) => !p.archived), [allProjects]);
  const hosts = useApp((s) => s.hosts);
  const recipes = useApp((s) => s.recipes);
  const [project, setProject] = useState(projects[0]?.id ?? '');
  const [host, setHost] = useState(hosts[0]?.name ?? 'local');
  const [recipeName, setRecipeName] = useState(recipes[0]?.name ?? '');
  const [params, setParams] = useState<Record<string, string>>({});
  const [dataset, setDataset] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const [resources, setResources] = useState<ResourceValues>({});
  const recipe = recipes.find((r) => r.name === recipeName);
  const cluster = hosts.find((h) => h.name === host)?.slurm ?? null;
  const partitions = useApp((s) => s.probes[host]?.slurm?.partitions);
  const arrayCount = cluster ? clusterRequest(resources).array?.count : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const given = Object.fromEntries(Object.entries(params).filter(([k, v]) => v.trim() !== '' && recipe?.params.some((p) => p.name === k)));
    const request = cluster ? clusterRequest(resources) : null;
    if (request && Object.keys(request.errors).length) return setErrors({ fields: request.errors });
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
      setErrors(formErrors(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Launch run" onClose={onClose}>
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
        <Field label="Dataset file (optional)" hint="A JSONL file on this computer; uploaded once per host." error={errors.fields.dataset}>
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
