// Adding a registry: an OCI registry's URL, or a host and folder for an SSH directory registry.
import { useState, type FormEvent } from 'react';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

export function AddRegistryDialog({ onClose, onAdded }: { onClose: () => void; onAdded: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'oci' | 'ssh'>('oci');
  const [location, setLocation] = useState('');
  const [caFile, setCaFile] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.call('registries.add', { name, ...(kind === 'oci' ? { oci: location } : { ssh: location }), ...(caFile.trim() ? { caFile: caFile.trim() } : {}) });
      onAdded();
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Modal title="Add registry" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Name">
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </Field>
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as 'oci' | 'ssh')}>
            <option value="oci">OCI registry (Docker registry, Harbor, GHCR, Zot)</option>
            <option value="ssh">A folder on an SSH host</option>
          </select>
        </Field>
        <Field label={kind === 'oci' ? 'URL' : 'Host and folder'} hint={kind === 'oci' ? 'https://host[:port]/repository-prefix' : 'HOST:/path, with a host added on the Hosts page'}>
          <input type="text" value={location} onChange={(e) => setLocation(e.target.value)} spellCheck={false} autoComplete="off" />
        </Field>
        {kind === 'oci' && (
          <Field label="CA certificate file (optional)" hint="When the registry's certificate is signed by your own CA.">
            <input type="text" value={caFile} onChange={(e) => setCaFile(e.target.value)} spellCheck={false} autoComplete="off" />
          </Field>
        )}
        <DialogActions error={error} onCancel={onClose} submit="Add registry" disabled={!name.trim() || !location.trim()} />
      </form>
    </Modal>
  );
}
