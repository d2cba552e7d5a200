// Imports every Host of an OpenSSH config file (the engine's machine's file). Keys stay untrusted.
import { useState, type FormEvent } from 'react';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';

export function ImportDialog({ onClose, onImported }: { onClose: () => void; onImported: () => void }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const [file, setFile] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await client.call('hosts.import', file.trim() ? { configFile: file.trim() } : {});
      notify('info', `Imported ${r.added.length} host(s)${r.skipped.length ? `; skipped ${r.skipped.map((s) => s.name).join(', ')} (name taken)` : ''}.`);
      onImported();
    } catch (err) {
      setErrors(formErrors(err));
    }
  };
  return (
    <Modal title="Import from SSH config" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Config file" hint="Leave empty for ~/.ssh/config. Host keys stay untrusted until you trust each one." error={errors.form}>
          <input type="text" value={file} onChange={(e) => setFile(e.target.value)} placeholder="~/.ssh/config" spellCheck={false} />
        </Field>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Import
          </button>
        </div>
      </form>
    </Modal>
  );
}
