// Asks for an encrypted key's passphrase. The engine checks it and keeps it in memory only.
import { useState, type FormEvent } from 'react';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

export function PassphraseDialog({ keyFile, onClose, onUnlocked }: { keyFile: string; onClose: () => void; onUnlocked: () => void }) {
  const client = useClient();
  const [passphrase, setPassphrase] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.call('hosts.unlockKey', { keyFile, passphrase });
      setPassphrase('');
      onUnlocked();
    } catch (err) {
      setErrors(formErrors(err, { AUTH_FAILED: 'passphrase' }));
    }
  };
  return (
    <Modal title="Unlock SSH key" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p>
          <code>{keyFile}</code> is encrypted. Its passphrase stays in memory until Tunebench quits; it is never written to disk.
        </p>
        <Field label="Passphrase" error={errors.fields.passphrase ?? errors.form}>
          <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoFocus autoComplete="off" />
        </Field>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!passphrase}>
            Unlock
          </button>
        </div>
      </form>
    </Modal>
  );
}
