import { describe, expect, it } from 'vitest';
import { CreateProjectInput, ProjectName } from '../../src/shared/domain/project';

describe('project names', () => {
  it('are trimmed and NFC-normalized', () => {
    expect(ProjectName.parse('  llama sft  ')).toBe('llama sft');
    expect(ProjectName.parse('Cafe\u0301')).toBe('Café');
  });

  it.each([
    ['', 'cannot be empty'],
    ['    ', 'cannot be empty'],
    ['x'.repeat(101), 'at most 100'],
    ['a\nb', 'control characters'],
  ])('refuses %j with a message that says why', (name, why) => {
    const r = ProjectName.safeParse(name);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain(why);
  });

  it('accepts exactly 100 characters', () => {
    expect(ProjectName.parse('x'.repeat(100))).toHaveLength(100);
  });

  it('create input refuses unknown fields', () => {
    expect(CreateProjectInput.safeParse({ name: 'a', colour: 'red' }).success).toBe(false);
  });
});
