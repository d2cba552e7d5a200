// Moving an alias (production by default) to a version: the same deliberate red button as approval.
// The engine verifies the target (signature, signer rights, chain, every layer's bytes) before moving.
import { useState, type FormEvent } from 'react';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

export function PromoteDialog({ registry, model, version, onClose, onMoved }: { registry: string; model: string; version: string; onClose: () => void; onMoved: () => void }) {
  const client = useClient();
  const [alias, setAlias] = useState('production');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ fields: {} });
    try {
      await client.call('registries.alias', { registry, model, version, alias, confirm });
      onMoved();
      onClose();
    } catch (err) {
      // The alias and the name typed back beside their fields; a version that fails to verify under the form.
      setErrors(formErrorsAt(err, { fields: ['alias', 'confirm'], sentences: [[/type the model's name/i, 'confirm']] }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`Promote ${model}@${version}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p className="muted">
          The alias moves only after the version verifies here: its approval's signature, the signer's rights, the chain of decisions, and every file's bytes. The move is recorded in the registry.
        </p>
        <Field label="Alias" error={errors.fields.alias}>
          <input type="text" value={alias} onChange={(e) => setAlias(e.target.value)} spellCheck={false} autoComplete="off" />
        </Field>
        <Field label={`Type the model's name, ${model}, to move it`} error={errors.fields.confirm}>
          <input type="text" value={confirm} onChange={(e) => setConfirm(e.target.value)} spellCheck={false} autoComplete="off" />
        </Field>
        <DialogActions error={errors.form} onCancel={onClose} danger submit={busy ? 'Verifying…' : `Move ${alias} to ${version}`} disabled={busy || confirm !== model || !alias.trim()} />
      </form>
    </Modal>
  );
}
