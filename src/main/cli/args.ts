// A small, strict argument parser: unknown flags and missing values are usage errors, never guesses.
import { EngineError } from '../errors';

export interface FlagSpec {
  kind: 'string' | 'boolean' | 'number' | 'list';
  value?: string; // the placeholder shown in help, e.g. DIR
  help: string;
}
export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | number | string[] | undefined>;
}

export const GLOBAL_FLAGS: FlagSpecs = {
  'data-dir': { kind: 'string', value: 'DIR', help: 'Data directory (default: $TUNEBENCH_HOME, else the per-user app data dir)' },
  json: { kind: 'boolean', help: 'Machine-readable output on stdout; errors as JSON on stderr' },
  help: { kind: 'boolean', help: 'Show help' },
};

export function usageError(message: string): EngineError {
  return new EngineError('BAD_USAGE', message);
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs, commandName: string): ParsedArgs {
  const all: FlagSpecs = { ...GLOBAL_FLAGS, ...specs };
  const out: ParsedArgs = { positionals: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h') {
      out.flags.help = true;
      continue;
    }
    if (!token.startsWith('--') || token === '-') {
      if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
        throw usageError(`Unknown option ${token} for \`${commandName}\`. See \`${commandName} --help\`.`);
      }
      out.positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    // Own properties only: --constructor or --__proto__ are unknown options, not Object's members.
    const spec = Object.hasOwn(all, name) ? all[name] : undefined;
    if (!spec) throw usageError(`Unknown option --${name} for \`${commandName}\`. See \`${commandName} --help\`.`);
    if (spec.kind === 'boolean') {
      if (eq !== -1) throw usageError(`--${name} takes no value.`);
      out.flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw usageError(`--${name} needs a value (${spec.value ?? 'VALUE'}).`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw usageError(`--${name} must be a number, not "${value}".`);
      out.flags[name] = n;
    } else if (spec.kind === 'list') {
      const prev = out.flags[name];
      out.flags[name] = [...(Array.isArray(prev) ? prev : []), value];
    } else {
      if (out.flags[name] !== undefined) throw usageError(`--${name} was given twice.`);
      out.flags[name] = value;
    }
  }
  return out;
}

/** A string flag's value, or undefined when it was not given. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A flag the command cannot do without; `why` says what to give, e.g. "the host's address or DNS name". */
export function requiredStr(v: unknown, flag: string, why: string): string {
  if (typeof v !== 'string') throw usageError(`--${flag} is required: ${why}.`);
  return v;
}
