// custom: any command, with environment variables. Metrics come from tunebench.log or the HF hook.
import { z } from 'zod';
import type { Recipe } from './recipe';

const EnvPair = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'Environment entries look like NAME=value.');

const Params = z.strictObject({
  command: z.string().trim().min(1, 'Give the command to run.').max(10_000),
  env: z.union([EnvPair, z.array(EnvPair).max(100)]).optional(),
});

export const custom: Recipe<typeof Params> = {
  name: 'custom',
  summary: 'Any command, run by /bin/sh in the run directory',
  needs: 'Whatever the command needs',
  params: Params,
  help: { command: 'The command line (the shell runs it)', env: 'NAME=value, repeatable' },
  multiNode: true,
  render(p) {
    const pairs = p.env === undefined ? [] : Array.isArray(p.env) ? p.env : [p.env];
    const env = Object.fromEntries(pairs.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    return { command: p.command, env, files: {} };
  },
};
