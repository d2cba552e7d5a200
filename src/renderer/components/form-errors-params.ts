// A recipe parameter's rule in the user's words, from the recipe's description (whole number or not, its
// bounds): the form checks typed numbers itself and says "Steps must be a whole number between 1 and
// 1000000." beside the field, and says the same when the engine refuses the value.
import type { RecipeInfo } from '../../shared/domain/run';
import { fieldName, type FormErrors } from './form-errors';

export type ParamInfo = RecipeInfo['params'][number];

const isNumber = (p: ParamInfo) => p.type === 'integer' || p.type === 'number';
const bound = (n: number) => String(n);

/** "between 1 and 100", "1 or more", "more than 0 and at most 100", or '' when the number is unbounded. */
function range(p: ParamInfo): string {
  const min = typeof p.min === 'number' ? p.min : null;
  const max = typeof p.max === 'number' ? p.max : null;
  if (min !== null && max !== null) {
    if (!p.minExclusive && !p.maxExclusive) return `between ${bound(min)} and ${bound(max)}`;
    return `${p.minExclusive ? 'more than' : 'at least'} ${bound(min)} and ${p.maxExclusive ? 'less than' : 'at most'} ${bound(max)}`;
  }
  if (min !== null) return p.minExclusive ? `more than ${bound(min)}` : `${bound(min)} or more`;
  if (max !== null) return p.maxExclusive ? `less than ${bound(max)}` : `${bound(max)} or less`;
  return '';
}

/** The whole rule as one sentence: "Steps must be a whole number between 1 and 1000000." */
export function paramRule(p: ParamInfo): string {
  const what = p.type === 'integer' ? 'a whole number' : 'a number';
  const r = range(p);
  return `${fieldName(p.name)} must be ${what}${r ? (r.startsWith('between') ? ` ${r}` : `, ${r}`) : ''}.`;
}

/** What is wrong with the text typed for a number parameter (read as the engine reads it), or undefined. */
export function paramError(p: ParamInfo, text: string): string | undefined {
  const t = text.trim();
  if (!isNumber(p) || t === '') return undefined;
  const v = Number(t);
  if (!Number.isFinite(v) || (p.type === 'integer' && !Number.isSafeInteger(v))) return paramRule(p);
  if (typeof p.min === 'number' && (p.minExclusive ? v <= p.min : v < p.min)) return paramRule(p);
  if (typeof p.max === 'number' && (p.maxExclusive ? v >= p.max : v > p.max)) return paramRule(p);
  return undefined;
}

/** Every typed number that breaks its rule, keyed as the engine keys its issues ("params.steps"). */
export function paramErrors(params: readonly ParamInfo[], values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of params) {
    const error = paramError(p, values[p.name] ?? '');
    if (error) errors[`params.${p.name}`] = error;
  }
  return errors;
}

/** The engine's refusal of a number parameter said as the parameter's rule, so both checks speak alike. */
export function withParamRules(errors: FormErrors, params: readonly ParamInfo[]): FormErrors {
  const fields = { ...errors.fields };
  for (const p of params) if (isNumber(p) && fields[`params.${p.name}`]) fields[`params.${p.name}`] = paramRule(p);
  return { ...errors, fields };
}
