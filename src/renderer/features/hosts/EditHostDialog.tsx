// Changing a host: its Python and run root (read at each use), how it is reached (the engine drops the
// connection, so the next use connects with the new settings), and a cluster's job defaults.
import { useState, type FormEvent } from 'react';
import type { MethodInput } from '../../../shared/contract';
import type { Host } from '../../../shared/domain/host';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { wholeNumber } from '../../components/whole-number';
import { useApp } from '../../store/context';
import { foldLineErrors, SlurmFields, slurmSettings, type SlurmValues } from './SlurmFields';

type Key = 'hostname' | 'port' | 'user' | 'identityFile' | 'proxyJump' | 'python' | 'runRoot';

/** [field, label, hint]: the address fields only for SSH hosts (the local host is this machine). */
const REACH: readonly [Key, string, string][] = [
  ['hostname', 'Hostname', 'Address or DNS name'],
  ['port', 'Port', '22 unless the server says otherwise'],
  ['user', 'User', 'The account to log in as'],
  ['identityFile', 'Key file', 'Empty: the SSH agent, then ~/.ssh/id_*'],
  ['proxyJump', 'Jump hosts', 'Empty: connect directly. [user@]host[:port], comma-separated'],
];
const RUN: readonly [Key, string, string][] = [
  ['python', 'Python', 'python3, a path, or an activation line'],
  ['runRoot', 'Run root', 'An absolute path, or ~/DIR under the SSH user’s home'],
];

/** What the form shows: a run root under the SSH home is stored relative to it, and shown as ~/DIR. */
function initialValues(host: Host): Record<Key, string> {
  const runRoot = host.kind === 'ssh' && !host.runRoot.startsWith('/') ? (host.runRoot === '.' ? '~' : `~/${host.runRoot}`) : host.runRoot;
  return {
    hostname: host.hostname ?? '',
    port: host.port === null ? '' : String(host.port),
    user: host.user ?? '',
    identityFile: host.identityFile ?? '',
    proxyJump: host.proxyJump ?? '',
    python: host.python,
    runRoot,
  };
}

function initialSlurm(host: Host): SlurmValues {
  const s = host.slurm ?? {};
  return {
    ...(s.partition ? { partition: s.partition } : {}),
    ...(s.account ? { account: s.account } : {}),
    ...(s.qos ? { qos: s.qos } : {}),
    ...(s.time ? { time: s.time } : {}),
    ...(s.sbatchLines?.length ? { sbatchLines: s.sbatchLines.join('\n') } : {}),
    ...(s.setup ? { setup: s.setup } : {}),
    ...(s.signalSeconds !== undefined ? { signalSeconds: String(s.signalSeconds) } : {}),
  };
}

export function EditHostDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const configureHost = useApp((s) => s.configureHost);
  const notify = useApp((s) => s.notify);
  const start = initialValues(host);
  const [values, setValues] = useState(start);
  const [slurm, setSlurm] = useState<SlurmValues>(initialSlurm(host));
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const fields = host.kind === 'local' ? RUN : [...REACH, ...RUN];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const change: Omit<MethodInput<'hosts.configure'>, 'ref'> = {};
    const local: Record<string, string> = {};
    for (const [key] of fields) {
      const v = values[key].trim();
      if (v === start[key]) continue;
      if (key === 'port') {
        const port = wholeNumber(v, 'The port', 1, 65535);
        if (port.error) local.port = port.error;
        else if (port.value === undefined) local.port = 'Give the port, e.g. 22.';
        else change.port = port.value;
      } else if (key === 'identityFile' || key === 'proxyJump') change[key] = v === '' ? null : v;
      else if (v === '') local[key] = 'This cannot be empty.';
      else change[key] = v;
    }
    if (host.slurm) {
      const cluster = slurmSettings(slurm);
      Object.assign(local, cluster.errors);
      if (JSON.stringify(cluster.settings) !== JSON.stringify(slurmSettings(initialSlurm(host)).settings)) {
        change.slurm = cluster.settings;
        change.replaceSlurm = true; // a field emptied here goes back to SLURM's own default
      }
    }
    if (Object.keys(local).length) return setErrors({ fields: local });
    if (Object.keys(change).length === 0) return onClose();
    setBusy(true);
    try {
      const saved = await configureHost({ ref: host.id, ...change });
      const reached = ['hostname', 'port', 'user', 'identityFile', 'proxyJump'].some((k) => k in change);
      notify('info', reached ? `Saved ${saved.name}: the next use connects with the new settings.` : `Saved ${saved.name}.`);
      onClose();
    } catch (err) {
      const found = formErrors(err);
      setErrors({ ...found, fields: foldLineErrors(found.fields) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Edit ${host.name}`} onClose={onClose}>
      <form onSubmit={submit} noValidate className="form-grid">
        {host.kind === 'local' && <p className="muted">This machine: runs start here, under the run root.</p>}
        {fields.map(([key, label, hint]) => (
          <Field key={key} label={label} hint={hint} error={errors.fields[key]}>
            <input
              type="text"
              inputMode={key === 'port' ? 'numeric' : undefined}
              value={values[key]}
              onChange={(e) => setValues({ ...values, [key]: e.target.value })}
              spellCheck={false}
              autoComplete="off"
            />
          </Field>
        ))}
        {host.slurm && <SlurmFields values={slurm} errors={errors.fields} onChange={setSlurm} />}
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Saving…' : 'Save changes'} disabled={busy} />
      </form>
    </Modal>
  );
}
