// Validation errors read in the user's words: every message the engine's validator writes for a
// recipe's parameters or a form's fields becomes a sentence that names the field, never zod's dialect.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClientError } from '../../src/renderer/api/client';
import { fieldName, formErrors, plainIssue, plainMessage, plainText } from '../../src/renderer/components/form-errors';
import { getRecipe } from '../../src/main/recipes';
import { AddHostInput as HostInput } from '../../src/shared/domain/host';

/** The error the engine sends when `schema` refuses `input`, built the way the engine builds it (path + zod's message). */
function engineError(schema: z.ZodType, input: unknown, prefix = ''): ClientError {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  const issues = parsed.error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));
  return new ClientError({ code: 'VALIDATION_FAILED', message: `Invalid input for runs.launch. ${issues[0]!.path}: ${issues[0]!.message}`, details: { issues } });
}

const ZOD_DIALECT = /Invalid input|expected|received|>=|<=|NaN|Too (small|big)/;
const params = getRecipe('demo-lora-stdlib').params as z.ZodType;

describe("validation errors in the user's words", () => {
  it.each([
    [{ steps: 'many' }, 'params.steps', 'Steps must be a number.'],
    [{ steps: '2.5' }, 'params.steps', 'Steps must be a whole number.'],
    [{ steps: '0' }, 'params.steps', 'Steps must be at least 1.'],
    [{ steps: '2000000' }, 'params.steps', 'Steps must be at most 1000000.'],
    [{ lr: '0' }, 'params.lr', 'Lr must be more than 0.'],
    [{ eval_every: 'x' }, 'params.eval_every', 'Eval every must be a number.'],
    [{ rank: '65' }, 'params.rank', 'Rank must be at most 64.'],
  ])('says what is wrong with %j at the field, by its name', (input, path, sentence) => {
    const errors = formErrors(engineError(params, input, 'params'));
    expect(errors.fields[path]).toBe(sentence);
    expect(errors.form).toBeUndefined();
  });

  it("names a field of another form (a host) in words, and never shows the validator's dialect", () => {
    const errors = formErrors(engineError(HostInput, { name: '', hostname: 'h', port: 70000, user: 'x'.repeat(500) }));
    expect(Object.keys(errors.fields).length).toBeGreaterThanOrEqual(2);
    for (const message of Object.values(errors.fields)) expect(message).not.toMatch(ZOD_DIALECT);
    expect(errors.fields.port).toBe('Port must be at most 65535.');
    expect(errors.fields.name).toBe('Host name cannot be empty.'); // the engine's own sentence, kept
  });

  it('rewrites every kind of message the validator writes', () => {
    const schema = z.strictObject({
      baseModel: z.string().trim().min(1),
      kind: z.enum(['oci', 'ssh']),
      tags: z.array(z.string()).max(2),
      url: z.url(),
      code: z.string().regex(/^[a-z]+$/),
      flag: z.boolean(),
      count: z.number().multipleOf(5),
    });
    const err = engineError(schema, { baseModel: ' ', kind: 'zip', tags: ['a', 'b', 'c'], url: 'nope', code: 'A!', flag: 'yes', count: 7, extra: 1 });
    const all = (err.info.details as { issues: { path: string; message: string }[] }).issues.map((i) => plainIssue(i.path, i.message));
    expect(all).toHaveLength(8);
    for (const sentence of all) expect(sentence).not.toMatch(ZOD_DIALECT);
    expect(all).toContain('Base model is required.');
    expect(all).toContain('Kind must be one of oci, ssh.');
    expect(all).toContain('Tags can have at most 2 items.');
    expect(all).toContain('Flag must be yes or no.');
    expect(all).toContain('Count must be a multiple of 5.');
    expect(all.some((s) => s.startsWith('extra is not known here'))).toBe(true);
  });

  it('keeps a sentence the engine already wrote for people, and the code-to-field mapping', () => {
    const taken = new ClientError({ code: 'PROJECT_NAME_TAKEN', message: 'A project named "x" exists: choose another name.' });
    expect(formErrors(taken, { PROJECT_NAME_TAKEN: 'name' })).toEqual({ fields: { name: 'A project named "x" exists: choose another name.' } });
    expect(plainIssue('port', 'The port is a whole number, e.g. 22.')).toBe('The port is a whole number, e.g. 22.');
  });

  it('puts a validation failure with no field on the form, also in words', () => {
    const err = new ClientError({
      code: 'VALIDATION_FAILED',
      message: 'Invalid input for x. Invalid input: expected object, received undefined',
      details: { issues: [{ path: '', message: 'Invalid input: expected number, received NaN' }] },
    });
    expect(formErrors(err)).toEqual({ fields: {}, form: 'The value must be a number.' });
    expect(plainMessage(err)).toBe('The value must be a number.');
  });

  it('turns paths into the words people read', () => {
    expect(fieldName('params.eval_every')).toBe('Eval every');
    expect(fieldName('baseModel')).toBe('Base model');
    expect(fieldName('slurm.sbatchLines.2')).toBe('Sbatch lines');
    expect(fieldName('resources.gpusPerNode')).toBe('Gpus per node');
  });

  it("rewrites the engine's framed messages that forms show as text, and leaves sentences alone", () => {
    expect(plainText('Invalid input for runs.launch. params.steps: Invalid input: expected number, received NaN')).toBe('Steps must be a number.');
    expect(plainText('Invalid parameters: steps: Too small: expected number to be >=1')).toBe('Steps must be at least 1.');
    expect(plainText('Invalid input for registries.add. url: Invalid URL', 'URL')).toBe('URL must be a valid URL.');
    expect(plainText('Too big: expected number to be <=64', 'rank')).toBe('Rank must be at most 64.');
    expect(plainText('Invalid bundle: manifest.json: missing')).toBe('Invalid bundle: manifest.json: missing');
    expect(plainText('Invalid input for runs.launch. resources.gpus: Ask for at most 8 GPUs per node.')).toBe('Ask for at most 8 GPUs per node.');
    expect(plainText('The port is from 1 to 65535.', 'Port')).toBe('The port is from 1 to 65535.');
  });
});
