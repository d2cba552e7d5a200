// `tunebench candidate ...` and the project commands that pick what is reused: propose, list, set-recipe.
import type { Command } from '../command';
import { usageError } from '../args';
import { table, when } from '../format';
import { withEngine } from '../with-engine';

export const candidateCommands: Command[] = [
  {
    path: ['candidate', 'propose'],
    summary: 'Propose a finished run (and a checkpoint) as the production candidate',
    positionals: [{ name: 'RUN', required: true, help: 'The run id' }],
    flags: {
      checkpoint: { kind: 'string', value: 'PATH', help: 'A checkpoint inside the run directory, e.g. checkpoints/step-400' },
      reason: { kind: 'string', value: 'TEXT', help: 'Why this run (required)' },
    },
    async run(ctx, args) {
      if (typeof args.flags.reason !== 'string') throw usageError('--reason is required: say why this run should go to production.');
      const c = await withEngine(ctx, (call) =>
        call('candidates.propose', { run: args.positionals[0]!, reason: args.flags.reason as string, ...(typeof args.flags.checkpoint === 'string' ? { checkpoint: args.flags.checkpoint } : {}) }),
      );
      ctx.print(c, () => `Proposed ${c.runId}${c.checkpoint ? ` (${c.checkpoint})` : ''}: ${c.objective.metric} best ${c.objective.best ?? '—'}\n`);
      return 0;
    },
  },
  {
    path: ['candidate', 'list'],
    summary: "List a project's production candidates, newest first",
    positionals: [],
    flags: { project: { kind: 'string', value: 'P', help: 'Project id or name (required)' } },
    async run(ctx, args) {
      if (typeof args.flags.project !== 'string') throw usageError('--project is required.');
      const list = await withEngine(ctx, (call) => call('candidates.list', { project: args.flags.project as string }));
      ctx.print(list, () =>
        table(
          ['RUN', 'CHECKPOINT', 'OBJECTIVE', 'PROPOSED', 'REASON'],
          list.map((c) => [c.runId, c.checkpoint ?? '—', `${c.objective.metric} ${c.objective.best ?? '—'}${c.objective.step !== null ? ` @${c.objective.step}` : ''}`, when(c.proposedAt), c.reason.replace(/\s+/g, ' ').slice(0, 60)]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['project', 'set-recipe'],
    summary: "Save a finished run's recipe and parameters as the project's, for reuse",
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: { 'from-run': { kind: 'string', value: 'RUN', help: 'The run to take them from (required)' } },
    async run(ctx, args) {
      if (typeof args.flags['from-run'] !== 'string') throw usageError('--from-run is required.');
      const p = await withEngine(ctx, (call) => call('projects.setRecipe', { ref: args.positionals[0]!, fromRun: args.flags['from-run'] as string }));
      ctx.print(p, () => `${p.name} now reuses ${p.recipe!.name} with the parameters of ${p.recipe!.fromRunId}\n`);
      return 0;
    },
  },
  {
    path: ['project', 'set-objective'],
    summary: 'Say which metric decides the best run, and whether lower or higher is better',
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: {
      metric: { kind: 'string', value: 'NAME', help: 'e.g. eval_loss (required)' },
      goal: { kind: 'string', value: 'minimize|maximize', help: 'Default minimize' },
    },
    async run(ctx, args) {
      if (typeof args.flags.metric !== 'string') throw usageError('--metric is required.');
      const goal = (args.flags.goal as string | undefined) ?? 'minimize';
      if (goal !== 'minimize' && goal !== 'maximize') throw usageError('--goal is minimize or maximize.');
      const p = await withEngine(ctx, (call) => call('projects.setObjective', { ref: args.positionals[0]!, metric: args.flags.metric as string, goal }));
      ctx.print(p, () => `${p.name}: best means ${p.objective.goal} ${p.objective.metric}\n`);
      return 0;
    },
  },
];
