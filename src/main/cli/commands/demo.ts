// `tunebench demo seed`: a synthetic project to explore, test and benchmark with.
import type { Command } from '../command';
import { usageError } from '../args';
import { MAX_SEED_POINTS, MAX_SEED_RUNS } from '../../demo/seed';
import { withEngine } from '../with-engine';

export const demoCommands: Command[] = [
  {
    path: ['demo', 'seed'],
    summary: 'Make a synthetic project of finished runs (every point kept, one loss spike per run)',
    positionals: [],
    flags: {
      runs: { kind: 'number', value: 'N', help: 'How many runs (default 12)' },
      points: { kind: 'number', value: 'N', help: 'Training steps per run (default 2000)' },
      project: { kind: 'string', value: 'NAME', help: 'Project to add them to (default "demo", created if missing)' },
    },
    async run(ctx, args) {
      const runs = (args.flags.runs as number | undefined) ?? 12;
      const points = (args.flags.points as number | undefined) ?? 2000;
      if (!Number.isInteger(runs) || runs < 1 || runs > MAX_SEED_RUNS) throw usageError(`--runs is an integer from 1 to ${MAX_SEED_RUNS.toLocaleString('en-US')}.`);
      if (!Number.isInteger(points) || points < 1 || points > MAX_SEED_POINTS) throw usageError(`--points is an integer from 1 to ${MAX_SEED_POINTS.toLocaleString('en-US')}.`);
      const r = await withEngine(ctx, (call) => call('demo.seed', { runs, points, ...(typeof args.flags.project === 'string' ? { project: args.flags.project } : {}) }));
      ctx.print(r, () => `Seeded ${r.runIds.length} runs of ${points} steps into project ${typeof args.flags.project === 'string' ? args.flags.project : 'demo'}.\n`);
      return 0;
    },
  },
];
