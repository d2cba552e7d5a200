// Names that come from users or data are data: built-in property names are refused or stored like any
// other, never read from Object's prototype; and names that could be read as an id are refused.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/main/cli/args';
import { EngineError } from '../../src/main/errors';
import { AddHostInput } from '../../src/shared/domain/host';
import { AddRegistryInput } from '../../src/shared/domain/registry';
import { LaunchInput } from '../../src/shared/domain/run';
import { own } from '../../src/shared/own';

describe('names from data', () => {
  it('a "__proto__" parameter sent over RPC is refused, not dropped', () => {
    const input = JSON.parse('{"project":"p","host":"h","recipe":"custom","params":{"__proto__":"x","command":"true"}}');
    const parsed = LaunchInput.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/__proto__/);
    expect(LaunchInput.safeParse(JSON.parse('{"project":"p","host":"h","recipe":"custom","params":{"constructor":"x"}}')).data?.params).toEqual({ constructor: 'x' });
  });

  it('options named like Object members are unknown options', () => {
    for (const flag of ['--constructor', '--__proto__', '--toString', '--hasOwnProperty']) {
      let err: unknown;
      try {
        parseArgs([flag, 'x'], { name: { kind: 'string', help: 'x' } }, 'tunebench x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).message).toMatch(/^Unknown option/);
    }
  });

  it('own() reads only own values', () => {
    const params: Record<string, unknown> = { lr: 1 };
    expect(own(params, 'lr')).toBe(1);
    expect(own(params, 'constructor')).toBeUndefined();
    expect(own(params, 'toString')).toBeUndefined();
    expect(own(JSON.parse('{"constructor": 3}') as Record<string, unknown>, 'constructor')).toBe(3);
  });

  it('host and registry names that could be read as an id are refused', () => {
    expect(AddHostInput.safeParse({ name: '01ARZ3NDEKTSV4RRFFQ69G5FAV', hostname: 'h' }).success).toBe(false);
    expect(AddHostInput.safeParse({ name: 'abcdefghijabcdefghijabcdef', hostname: 'h' }).success).toBe(false);
    expect(AddHostInput.safeParse({ name: 'gpu1', hostname: 'h' }).success).toBe(true);
    const reg = AddRegistryInput.safeParse({ name: '01ARZ3NDEKTSV4RRFFQ69G5FAV', oci: 'https://r.example' });
    expect(reg.success).toBe(false);
    expect(JSON.stringify(reg.error?.issues)).toMatch(/look like an id/);
  });
});
