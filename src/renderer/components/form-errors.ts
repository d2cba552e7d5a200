// Splits an engine error into messages per form field (from the validation issues) and one for the form.
import { ClientError } from '../api/client';

export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

export function formErrors(err: unknown, fieldForCode: Record<string, string> = {}): FormErrors {
  if (!(err instanceof ClientError)) return { fields: {}, form: err instanceof Error ? err.message : String(err) };
  const field = fieldForCode[err.code];
  if (field) return { fields: { [field]: err.message } };
  const issues = (err.info.details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
  if (err.code === 'VALIDATION_FAILED' && issues?.length) {
    const fields: Record<string, string> = {};
    for (const i of issues) if (i.path && !fields[i.path]) fields[i.path] = i.message;
    return Object.keys(fields).length ? { fields } : { fields: {}, form: err.message };
  }
  return { fields: {}, form: `${err.message}` };
}
