// Adding a registry: an OCI registry's URL, or a host and folder for an SSH directory registry.
import { useState, type FormEvent } from 'react';
import { ClientError } from '../../api/client';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

const FIELDS = ['name', 'location', 'caFile'];
/** The engine's refusals that concern one field, by their words (they come as sentences, without a field). */
const SENTENCES = [
  [/registry named .* exists/, 'name'],
  [/registry URL|repository prefix|Plain http|credentials in the registry URL|HOST:\/|--oci|--ssh/, 'location'],
  [/certificate|CA file|caFile/i, 'caFile'],
] as const;

export function AddRegistryDialog({ onClose, onAdded }: { onClose: () => void; onAdded: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'oci' | 'ssh'>('oci');
  const [location, setLocation] = useState('');
  const [caFile, setCaFile] = useState('');
  const [insecureHttp, setInsecureHttp] = useState(false);
  const plainHttp = kind === 'oci' && /^http:\/\//i.test(location.trim());
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // What is missing is said at its field before asking the engine (whose words for it are the CLI's flags).
    const missing: Record<string, string> = {};
    if (!name.trim()) missing.name = 'Give the registry a name, e.g. models.';
    if (!location.trim()) missing.location = kind === 'oci' ? "Give the registry's URL, e.g. https://registry.example/models." : 'Give a host and an absolute folder, e.g. gpu-box:/srv/models.';
    if (Object.keys(missing).length) return setErrors({ fields: missing });
    setBusy(true);
    try {
      await client.call('registries.add', {
        name,
        ...(kind === 'oci' ? { oci: location } : { ssh: location }),
        ...(caFile.trim() ? { caFile: caFile.trim() } : {}),
        ...(plainHttp && insecureHttp ? { insecureHttp: true } : {}),
      });
      onAdded();
      onClose();
    } catch (err) {
      const found = formErrorsAt(err, {
        fields: FIELDS,
        codes: { HOST_NOT_FOUND: 'location', HOST_UNREACHABLE: 'location', REGISTRY_UNREACHABLE: 'location', REGISTRY_TLS_UNTRUSTED: 'caFile' },
        paths: { oci: 'location', ssh: 'location', caFile: 'caFile' },
        sentences: SENTENCES,
      });
      // The engine's words for a missing host name the CLI; here the fix is on the Hosts page.
      if (err instanceof ClientError && err.code === 'HOST_NOT_FOUND')
        found.fields.location = `No host named "${location.split(':')[0]!.trim()}". Add it on the Hosts page first, or check the name before the colon.`;
      // The engine names its CLI flag; here it is the box under the URL.
      if (found.fields.location?.startsWith('Plain http'))
        found.fields.location = 'Plain http sends models and credentials unencrypted. Use https, or tick "Allow plain http" below if you really mean it.';
      setErrors(found);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Add registry" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Name" error={errors.fields.name}>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </Field>
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as 'oci' | 'ssh')}>
            <option value="oci">OCI registry (Docker registry, Harbor, GHCR, Zot)</option>
            <option value="ssh">A folder on an SSH host</option>
          </select>
        </Field>
        <Field
          label={kind === 'oci' ? 'URL' : 'Host and folder'}
          hint={kind === 'oci' ? 'https://host[:port]/repository-prefix' : 'HOST:/path, with a host added on the Hosts page'}
          error={errors.fields.location}
        >
          <input type="text" value={location} onChange={(e) => setLocation(e.target.value)} spellCheck={false} autoComplete="off" />
        </Field>
        {plainHttp && (
          <label className="checkbox field">
            <input type="checkbox" checked={insecureHttp} onChange={(e) => setInsecureHttp(e.target.checked)} /> Allow plain http (a registry on a trusted network only)
          </label>
        )}
        {kind === 'oci' && (
          <Field label="CA certificate file (optional)" hint="When the registry's certificate is signed by your own CA." error={errors.fields.caFile}>
            <input type="text" value={caFile} onChange={(e) => setCaFile(e.target.value)} spellCheck={false} autoComplete="off" />
          </Field>
        )}
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Adding…' : 'Add registry'} disabled={busy} />
      </form>
    </Modal>
  );
}
