// Splits an engine error into messages per form field (from the validation issues) and one for the form,
// each in the user's words: the engine's validator speaks its own dialect ("Too small: expected number
// to be >=1"), which is rewritten here once so that every form says "Steps must be at least 1." instead.
import { ClientError } from '../api/client';

export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

interface Issue {
  path: string;
  message: string;
}

/** "params.eval_every" -> "Eval every", "baseModel" -> "Base model", "slurm.sbatchLines.2" -> "Sbatch lines". */
export function fieldName(path: string): string {
  const last = path
    .split('.')
    .filter((p) => p !== '' && !/^\d+$/.test(p))
    .pop();
  if (!last) return 'The value';
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const list = (values: string) =>
  values
    .split(/\||, /)
    .map((v) => v.trim().replace(/^"(.*)"$/, '$1'))
    .join(', ');

/** What went wrong with one field, as a sentence; a message the engine already wrote for people is kept. */
export function plainIssue(path: string, message: string, subject = fieldName(path)): string {
  const s = subject;
  // The validator's own messages never end a sentence; the engine's sentences (and the app's) do.
  if (/[.!?]$/.test(message.trim())) return message;
  let m: RegExpMatchArray | null;
  if ((m = message.match(/^Invalid input: expected (\w+), received (\w+)$/))) {
    const [, expected, received] = m;
    if (received === 'undefined' || received === 'null') return `${s} is required.`;
    if (expected === 'int') return `${s} must be a whole number.`;
    if (expected === 'number' || expected === 'bigint') return `${s} must be a number.`;
    if (expected === 'string') return `${s} must be text.`;
    if (expected === 'boolean') return `${s} must be yes or no.`;
    if (expected === 'array') return `${s} must be a list.`;
    return `${s} is not valid here.`;
  }
  if ((m = message.match(/^Too small: expected \w+ to have >=?(\d+) (characters|items|entries|bytes)$/))) {
    const n = Number(m[1]);
    if (n <= 1 && m[2] === 'characters') return `${s} is required.`;
    return `${s} needs at least ${n} ${n === 1 ? m[2]!.replace(/s$/, '') : m[2]}.`;
  }
  if ((m = message.match(/^Too big: expected \w+ to have <=?(\d+) (characters|items|entries|bytes)$/))) return `${s} can have at most ${m[1]} ${m[2]}.`;
  if ((m = message.match(/^Too small: expected \w+ to be (>=|>)(.+)$/))) return m[1] === '>=' ? `${s} must be at least ${m[2]}.` : `${s} must be more than ${m[2]}.`;
  if ((m = message.match(/^Too big: expected \w+ to be (<=|<)(.+)$/))) return m[1] === '<=' ? `${s} must be at most ${m[2]}.` : `${s} must be less than ${m[2]}.`;
  if ((m = message.match(/^Too (?:small|big): expected \w+ to (?:have|be) exactly (.+)$/))) return `${s} must be exactly ${m[1]}.`;
  if ((m = message.match(/^Invalid option: expected one of (.+)$/))) return `${s} must be one of ${list(m[1]!)}.`;
  if ((m = message.match(/^Invalid input: expected (.+)$/))) return `${s} must be ${list(m[1]!)}.`;
  if ((m = message.match(/^Invalid string: must (start with|end with|include) (.+)$/))) return `${s} must ${m[1]} ${list(m[2]!)}.`;
  if (/^Invalid string: must match pattern /.test(message)) return `${s} has characters or a shape that is not allowed here.`;
  if ((m = message.match(/^Invalid number: must be a multiple of (.+)$/))) return `${s} must be a multiple of ${m[1]}.`;
  if ((m = message.match(/^Unrecognized keys?: (.+)$/))) return `${list(m[1]!)} ${m[1]!.includes(',') ? 'are' : 'is'} not known here: remove ${m[1]!.includes(',') ? 'them' : 'it'}.`;
  if (/^Invalid (?:key|value) in \w+$/.test(message)) return `${s} has a value that is not allowed.`;
  if ((m = message.match(/^Invalid ([\w .-]+)$/)) && m[1] !== 'input') return `${s} must be a valid ${m[1]}.`;
  if (/^Invalid input/.test(message) || /^Invalid discriminator/.test(message)) return `${s} is not valid here.`;
  return message;
}

const capitalized = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/**
 * A message that reached a form as plain text (a form that shows `err.message`, or a field given the
 * validator's words) in the user's words: the engine's "Invalid input for runs.launch. params.steps: ..."
 * and "Invalid parameters: steps: ..." prefixes are read for the field; a sentence is kept as it is.
 */
export function plainText(text: string, subject?: string): string {
  const named = subject ? capitalized(subject) : undefined;
  // The dispatcher's frame names only the method: what follows is the message, rewritten or as written.
  const call = text.match(/^Invalid input for [\w.]+\. (?:([\w.]+): )?(.+)$/);
  if (call) return plainIssue(call[1] ?? '', call[2]!, named);
  const framed = text.match(/^Invalid [\w ]+: ([\w.]+): (.+)$/);
  if (framed) {
    const plain = plainIssue(framed[1]!, framed[2]!, named);
    return plain === framed[2] ? text : plain; // not the validator's words after all: the whole sentence stands
  }
  return plainIssue('', text, named ?? 'The value');
}

/** An engine error as one sentence for a person: validation issues rewritten, anything else as the engine said it. */
export function plainMessage(err: unknown): string {
  if (!(err instanceof ClientError)) return err instanceof Error ? err.message : String(err);
  const issues = (err.info.details as { issues?: Issue[] } | undefined)?.issues;
  if (err.code === 'VALIDATION_FAILED' && issues?.length) return issues.map((i) => plainIssue(i.path, i.message)).join(' ');
  return err.message;
}

export function formErrors(err: unknown, fieldForCode: Record<string, string> = {}): FormErrors {
  if (!(err instanceof ClientError)) return { fields: {}, form: plainMessage(err) };
  const field = fieldForCode[err.code];
  if (field) return { fields: { [field]: err.message } };
  const issues = (err.info.details as { issues?: Issue[] } | undefined)?.issues;
  if (err.code === 'VALIDATION_FAILED' && issues?.length) {
    const fields: Record<string, string> = {};
    for (const i of issues) if (i.path && !fields[i.path]) fields[i.path] = plainIssue(i.path, i.message);
    return Object.keys(fields).length ? { fields } : { fields: {}, form: plainMessage(err) };
  }
  return { fields: {}, form: `${err.message}` };
}

/** Where a form shows an engine error: which of its fields it concerns, told by code, issue path, or words. */
export interface FieldsOf {
  /** The form's own fields (its keys in FormErrors.fields); an error for any other goes to the form's alert, never lost. */
  fields: readonly string[];
  /** An error code that always concerns one field: HOST_NOT_FOUND -> 'host'. */
  codes?: Record<string, string>;
  /** A validation issue's path -> the field, when the form calls it otherwise ('oci' -> 'location'); the field's label then words it. */
  paths?: Record<string, string>;
  /** An engine sentence with no path that concerns one field, told by its words: [/not a schedule/, 'schedule']. */
  sentences?: readonly (readonly [RegExp, string])[];
}

/**
 * An engine error placed as a form shows it: beside the field it concerns (by code, issue path or words),
 * and everything else (or about a field the form does not have) in one sentence for the form.
 */
export function formErrorsAt(err: unknown, at: FieldsOf): FormErrors {
  if (!(err instanceof ClientError)) return { fields: {}, form: plainMessage(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  const place = (field: string | undefined, message: string, whole: string) => {
    if (field && at.fields.includes(field)) fields[field] ??= message;
    else rest.push(whole);
  };
  const issues = (err.info.details as { issues?: Issue[] } | undefined)?.issues;
  const byCode = at.codes?.[err.code];
  if (byCode) place(byCode, err.message, err.message);
  else if (err.code === 'VALIDATION_FAILED' && issues?.length) {
    for (const i of issues) {
      const renamed = at.paths?.[i.path];
      // A renamed path keeps the validator's words, which the field rewrites with its own label.
      place(renamed ?? i.path, renamed ? i.message : plainIssue(i.path, i.message), plainIssue(i.path, i.message));
    }
  } else place(at.sentences?.find(([words]) => words.test(err.message))?.[1], err.message, err.message);
  return rest.length ? { fields, form: [...new Set(rest)].join(' ') } : { fields };
}
