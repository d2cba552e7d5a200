import { useState, type FormEvent } from 'react';
import type { Project } from '../../../shared/domain/project';
import { formErrors, type FormErrors } from '../../components/form-errors';
import { useApp } from '../../store/context';

export function RenameForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const rename = useApp((s) => s.renameProject);
  const [name, setName] = useState(project.name);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await rename(project.id, name);
      onDone();
    } catch (err) {
      setErrors(formErrors(err, { PROJECT_NAME_TAKEN: 'name' }));
    }
  };
  const error = errors.fields.name ?? errors.form;
  return (
    <form className="rename-form" onSubmit={submit} noValidate>
      <input
        type="text"
        aria-label="Project name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onDone()}
        aria-invalid={error ? true : undefined}
        autoFocus
      />
      <button type="submit" className="primary">
        Save name
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
