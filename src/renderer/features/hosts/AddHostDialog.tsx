// Adding an SSH host by hand. Its key is checked on first connect; nothing is trusted here.
import { useState, type FormEvent } from 'react';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

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

export function AddHostDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (name: string) => void }) {
  const client = useClient();
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(values)) if (v.trim() !== '') input[k] = k === 'port' ? Number(v) : v;
    try {
      const host = await client.call('hosts.add', { name: '', hostname: '', ...input } as never);
      onAdded((host as { name: string }).name);
    } catch (err) {
      setErrors(formErrors(err, { HOST_NAME_TAKEN: 'name' }));
    }
  };

  return (
    <Modal title="Add SSH host" onClose={onClose}>
      <form onSubmit={submit} noValidate className="form-grid">
        {FIELDS.map(([key, label, hint]) => (
          <Field key={key} label={label} hint={hint} error={errors.fields[key]}>
            <input type="text" value={values[key] ?? ''} onChange={(e) => setValues({ ...values, [key]: e.target.value })} spellCheck={false} autoComplete="off" />
          </Field>
        ))}
        <DialogActions error={errors.form} onCancel={onClose} submit="Add host" />
      </form>
    </Modal>
  );
}
