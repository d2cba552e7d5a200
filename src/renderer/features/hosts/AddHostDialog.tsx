// Adding an SSH host by hand, or a SLURM cluster's login node with its job defaults. Its key is
// checked on first connect; nothing is trusted here.
import { useState, type FormEvent } from 'react';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { wholeNumber } from '../../components/whole-number';
import { useClient } from '../../store/context';
import { foldLineErrors, SlurmFields, slurmSettings, type SlurmValues } from './SlurmFields';

const FIELDS = [
  ['name', 'Name', 'A short name, e.g. gpu-box'],
  ['hostname', 'Hostname', 'Address or DNS name'],
  ['port', 'Port', '22 unless the server says otherwise'],
  ['user', 'User', 'Leave empty for your own user name'],
  ['identityFile', 'Key file', 'Leave empty to use the SSH agent, then ~/.ssh/id_*'],
  ['proxyJump', 'Jump hosts', '[user@]host[:port], comma-separated'],
  ['python', 'Python', 'python3, a path, or an activation line'],
  ['runRoot', 'Run root', 'Where runs live on the host (default ~/.tunebench)'],
] as const;

/** On a cluster, jobs run on compute nodes: they must see the run root too. */
const CLUSTER_RUN_ROOT_HINT = 'A folder the compute nodes share with the login node (default ~/.tunebench)';

export function AddHostDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (name: string) => void }) {
  const client = useClient();
  const [values, setValues] = useState<Record<string, string>>({});
  const [cluster, setCluster] = useState(false);
  const [slurm, setSlurm] = useState<SlurmValues>({});
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: Record<string, unknown> = {};
    const port = wholeNumber(values.port ?? '', 'The port', 1, 65535);
    for (const [k, v] of Object.entries(values)) if (v.trim() !== '' && k !== 'port') input[k] = v;
    if (port.value !== undefined) input.port = port.value;
    const clusterInput = cluster ? slurmSettings(slurm) : { settings: undefined, errors: {} };
    const local = { ...(port.error ? { port: port.error } : {}), ...clusterInput.errors };
    if (Object.keys(local).length) return setErrors({ fields: local });
    // `slurm: {}` still makes the host a cluster: SLURM's own defaults then apply.
    if (clusterInput.settings) input.slurm = clusterInput.settings;
    try {
      const host = await client.call('hosts.add', { name: '', hostname: '', ...input } as never);
      onAdded((host as { name: string }).name);
    } catch (err) {
      const found = formErrors(err, { HOST_NAME_TAKEN: 'name' });
      setErrors({ ...found, fields: foldLineErrors(found.fields) });
    }
  };

  return (
    <Modal title="Add SSH host" onClose={onClose}>
      <form onSubmit={submit} noValidate className="form-grid">
        {FIELDS.map(([key, label, hint]) => (
          <Field key={key} label={label} hint={cluster && key === 'runRoot' ? CLUSTER_RUN_ROOT_HINT : hint} error={errors.fields[key]}>
            <input type="text" value={values[key] ?? ''} onChange={(e) => setValues({ ...values, [key]: e.target.value })} spellCheck={false} autoComplete="off" />
          </Field>
        ))}
        <label className="checkbox field">
          <input type="checkbox" checked={cluster} onChange={(e) => setCluster(e.target.checked)} />
          SLURM cluster (login node)
        </label>
        {cluster && <SlurmFields values={slurm} errors={errors.fields} onChange={setSlurm} />}
        <DialogActions error={errors.form} onCancel={onClose} submit="Add host" />
      </form>
    </Modal>
  );
}
