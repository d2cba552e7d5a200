import { useState, type FormEvent } from 'react';
import type { Project } from '../../../shared/domain/project';
import { Field } from '../../components/Field';
import { formErrorsAt, plainText, type FormErrors } from '../../components/form-errors';
import { useApp } from '../../store/context';

export function ProjectDetailsForm({ project }: { project: Project }) {
  const describe = useApp((s) => s.describeProject);
  const notify = useApp((s) => s.notify);
  const [baseModel, setBaseModel] = useState(project.baseModel);
  const [description, setDescription] = useState(project.description);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const changed = baseModel !== project.baseModel || description !== project.description;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await describe(project.id, { baseModel, description });
      setErrors({ fields: {} });
      notify('info', 'Saved.');
    } catch (err) {
      // At its field when it is about one this form has; otherwise under the form, never dropped.
      setErrors(formErrorsAt(err, { fields: ['baseModel', 'description'] }));
    }
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field label="Base model" error={errors.fields.baseModel}>
        <input type="text" value={baseModel} onChange={(e) => setBaseModel(e.target.value)} spellCheck={false} />
      </Field>
      <Field label="Description" error={errors.fields.description}>
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={4} />
      </Field>
      {errors.form && (
        <p className="form-error" role="alert">
          {plainText(errors.form)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!changed}>
          Save details
        </button>
      </div>
    </form>
  );
}
