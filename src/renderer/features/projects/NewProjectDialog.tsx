// Creating a project: name, base model, description; the engine's errors show beside the field they concern.
import { useState, type FormEvent } from 'react';
import { PROJECT_NAME_MAX } from '../../../shared/domain/project';
import type { Project } from '../../../shared/domain/project';
import { Field } from '../../components/Field';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { DialogActions } from '../../components/DialogActions';
import { Modal } from '../../components/Modal';
import { useApp } from '../../store/context';

export function NewProjectDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (p: Project) => void }) {
  const createProject = useApp((s) => s.createProject);
  const [name, setName] = useState('');
  const [baseModel, setBaseModel] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onCreated(await createProject({ name, baseModel, description }));
    } catch (err) {
      setErrors(formErrors(err, { PROJECT_NAME_TAKEN: 'name' }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="New project" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Name" error={errors.fields.name} hint={`Unique, up to ${PROJECT_NAME_MAX} characters.`}>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} autoFocus autoComplete="off" />
        </Field>
        <Field label="Base model" error={errors.fields.baseModel} hint="A hub id such as meta-llama/Llama-3.1-8B, or a path on a host.">
          <input type="text" value={baseModel} onChange={(e) => setBaseModel(e.target.value)} autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Description" error={errors.fields.description}>
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
        </Field>
        <DialogActions error={errors.form} onCancel={onClose} submit={busy ? 'Creating…' : 'Create project'} disabled={busy} />
      </form>
    </Modal>
  );
}
