// An engine error placed where a form shows it: beside the field it concerns, the rest under the form.
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../src/renderer/api/client';
import { formErrorsAt } from '../../src/renderer/components/form-errors';

const invalid = (...issues: { path: string; message: string }[]) =>
  new ClientError({ code: 'VALIDATION_FAILED', message: `Invalid input for registries.add. ${issues[0]!.path}: ${issues[0]!.message}`, details: { issues } });
const registry = {
  fields: ['name', 'location', 'caFile'],
  codes: { HOST_NOT_FOUND: 'location' },
  paths: { oci: 'location' },
  sentences: [[/registry named/, 'name'] as const, [/registry URL/, 'location'] as const],
};

describe('engine errors placed at the fields of a form', () => {
  it('puts a validation issue at its field, a renamed path at the renamed field in the validator words the field rewrites', () => {
    expect(formErrorsAt(invalid({ path: 'name', message: 'Too big: expected string to have <=100 characters' }), registry)).toEqual({ fields: { name: 'Name can have at most 100 characters.' } });
    expect(formErrorsAt(invalid({ path: 'oci', message: 'Too big: expected string to have <=2000 characters' }), registry)).toEqual({
      fields: { location: 'Too big: expected string to have <=2000 characters' },
    });
  });

  it('places a sentence without a path by its code or its words, and anything else under the form', () => {
    expect(formErrorsAt(new ClientError({ code: 'HOST_NOT_FOUND', message: 'No host named "gpu".' }), registry)).toEqual({ fields: { location: 'No host named "gpu".' } });
    expect(formErrorsAt(new ClientError({ code: 'VALIDATION_FAILED', message: 'A registry named "r" exists already; choose another name.' }), registry)).toEqual({
      fields: { name: 'A registry named "r" exists already; choose another name.' },
    });
    expect(formErrorsAt(new ClientError({ code: 'VALIDATION_FAILED', message: '"ftp:x" is not a registry URL; write https://host[:port]/prefix.' }), registry).fields.location).toMatch(
      /not a registry URL/,
    );
    expect(formErrorsAt(new ClientError({ code: 'REGISTRY_REFUSED', message: 'The registry said no.' }), registry)).toEqual({ fields: {}, form: 'The registry said no.' });
    expect(formErrorsAt(new Error('socket closed'), registry)).toEqual({ fields: {}, form: 'socket closed' });
  });

  it('never loses an error about a field the form does not show: it goes under the form, in words', () => {
    const r = formErrorsAt(
      invalid({ path: 'project', message: 'Too small: expected string to have >=1 characters' }, { path: 'name', message: 'Invalid input: expected string, received undefined' }),
      registry,
    );
    expect(r).toEqual({ fields: { name: 'Name is required.' }, form: 'Project is required.' });
  });
});
