// A recipe's number parameters checked in the form, in words that name the rule.
import { describe, expect, it } from 'vitest';
import { paramError, paramErrors, paramRule, withParamRules, type ParamInfo } from '../../src/renderer/components/form-errors-params';

const p = (name: string, type: string, extra: Partial<ParamInfo> = {}): ParamInfo => ({ name, type, default: null, help: '', ...extra });
const steps = p('steps', 'integer', { min: 1, max: 100000 });

describe('number parameters in the forms', () => {
  it('says a whole number with its bounds for a word, a fraction, or a value out of range', () => {
    for (const typed of ['many', '2.5', '0', '100001', '-3', '1e9', 'NaN', 'Infinity']) expect(paramError(steps, typed), typed).toBe('Steps must be a whole number between 1 and 100000.');
    for (const typed of ['1', '100000', ' 42 ', '2.0', '']) expect(paramError(steps, typed), typed).toBeUndefined();
  });

  it('words each kind of bound, and plain numbers are allowed fractions', () => {
    expect(paramRule(p('eval_every', 'integer', { min: 1, max: null }))).toBe('Eval every must be a whole number, 1 or more.');
    expect(paramRule(p('rank', 'integer', { min: null, max: 64 }))).toBe('Rank must be a whole number, 64 or less.');
    expect(paramRule(p('seed', 'integer'))).toBe('Seed must be a whole number.');
    const lr = p('lr', 'number', { min: 0, minExclusive: true, max: 100 });
    expect(paramRule(lr)).toBe('Lr must be a number, more than 0 and at most 100.');
    expect(paramError(lr, '0.5')).toBeUndefined();
    expect(paramError(lr, '0')).toBe(paramRule(lr));
    expect(paramError(lr, 'zero')).toBe(paramRule(lr));
    expect(paramRule(p('alpha', 'number', { min: 0, minExclusive: true }))).toBe('Alpha must be a number, more than 0.');
  });

  it('leaves text and choices to the engine, and keys errors as the engine does', () => {
    expect(paramError(p('base_model', 'string'), '2.5')).toBeUndefined();
    expect(paramError(p('method', 'full|lora'), 'x')).toBeUndefined();
    expect(paramErrors([steps, p('lr', 'number')], { steps: 'x', lr: '0.1', other: 'y' })).toEqual({ 'params.steps': 'Steps must be a whole number between 1 and 100000.' });
  });

  it("rewrites the engine's refusal of a number as the parameter's rule", () => {
    const errors = withParamRules({ fields: { 'params.steps': 'Steps must be a number.', project: 'Project is required.' }, form: 'x' }, [steps]);
    expect(errors).toEqual({ fields: { 'params.steps': 'Steps must be a whole number between 1 and 100000.', project: 'Project is required.' }, form: 'x' });
  });
});
