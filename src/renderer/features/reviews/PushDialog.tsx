// Pushing an approved model to a registry, with its progress (bytes, rate, time left).
import { useEffect, useState, type FormEvent } from 'react';
import type { Push, Registry } from '../../../shared/domain/registry';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useChanges } from '../../api/use-changes';
import { useClient } from '../../store/context';

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function PushDialog({ approval, onClose }: { approval: string; onClose: () => void }) {
  const client = useClient();
  const [registries, setRegistries] = useState<Registry[]>([]);
  const [to, setTo] = useState('');
  const [progress, setProgress] = useState<Push | null>(null);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  // A registry added from the CLI while the dialog is open can be chosen at once.
  const registriesChanged = useChanges('registries.changed');
  useEffect(() => {
    client.call('registries.list', {}).then(
      (r) => {
        setRegistries(r);
        setTo((chosen) => (r.some((x) => x.name === chosen) ? chosen : (r[0]?.name ?? '')));
      },
      (err: unknown) => setErrors({ fields: { to: err instanceof Error ? err.message : String(err) } }),
    );
  }, [client, registriesChanged]);
  useEffect(
    () =>
      client.on('registry.pushProgress', (p) => {
        if (p.approval === approval) setProgress(p);
      }),
    [client, approval],
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ fields: {} });
    try {
      setProgress(await client.call('registries.push', { approval, to }));
    } catch (err) {
      // The registry chosen cannot be reached, refuses the login or its certificate: said at the registry; the rest under the form.
      setErrors(
        formErrorsAt(err, {
          fields: ['to'],
          codes: { REGISTRY_NOT_FOUND: 'to', REGISTRY_UNREACHABLE: 'to', REGISTRY_AUTH_FAILED: 'to', REGISTRY_TLS_UNTRUSTED: 'to' },
          paths: { to: 'to' },
        }),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Push to a registry" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p className="muted">Only the approved bytes are pushed: the files are hashed again where they are first. An interrupted push resumes where it stopped.</p>
        <Field label="Registry" hint={registries.length ? undefined : 'Add one on the Registry page first.'} error={errors.fields.to}>
          <select value={to} onChange={(e) => setTo(e.target.value)}>
            {registries.map((r) => (
              <option key={r.id} value={r.name}>
                {r.name} ({r.location})
              </option>
            ))}
          </select>
        </Field>
        {progress && (
          <p role="status">
            <progress max={progress.bytesTotal || 1} value={progress.bytesDone} /> {progress.status}: {mib(progress.bytesDone)} of {mib(progress.bytesTotal)}
            {progress.rateBytesPerSecond ? `, ${mib(progress.rateBytesPerSecond)}/s` : ''}
            {progress.secondsLeft !== null ? `, ${progress.secondsLeft} s left` : ''}
            {progress.status === 'done' && progress.manifestDigest ? ` — ${progress.model}@${progress.version}` : ''}
          </p>
        )}
        <DialogActions error={errors.form} onCancel={onClose} cancel="Close" submit={busy ? 'Pushing…' : 'Push'} disabled={busy || !to} />
      </form>
    </Modal>
  );
}
