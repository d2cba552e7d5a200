// `tunebench candidate ...` and the project commands that pick what is reused: propose, list, set-recipe.
import type { Command } from '../command';
import { requiredStr, str, usageError } from '../args';
import { oneLine, table, when } from '../format';
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
      const reason = requiredStr(args.flags.reason, 'reason', 'say why this run should go to production');
      const c = await withEngine(ctx, (call) => call('candidates.propose', { run: args.positionals[0]!, reason, checkpoint: str(args.flags.checkpoint) }));
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
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const list = await withEngine(ctx, (call) => call('candidates.list', { project }));
      ctx.print(list, () =>
        table(
          ['RUN', 'CHECKPOINT', 'OBJECTIVE', 'PROPOSED', 'REASON'],
          list.map((c) => [
            c.runId,
            c.checkpoint ?? '—',
            `${c.objective.metric} ${c.objective.best ?? '—'}${c.objective.step !== null ? ` @${c.objective.step}` : ''}`,
            when(c.proposedAt),
            oneLine(c.reason, 60),
          ]),
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
      const fromRun = requiredStr(args.flags['from-run'], 'from-run', 'the finished run whose recipe and parameters to reuse');
      const p = await withEngine(ctx, (call) => call('projects.setRecipe', { ref: args.positionals[0]!, fromRun }));
      ctx.print(p, () => {
        const code = p.recipe!.code;
        const pinned = code
          ? code.commit && !code.dirty
            ? ` and the code of commit ${code.commit.slice(0, 12)} in ${code.dir}`
            : ` and the code in ${code.dir} as it is now (not a commit: it cannot be restored once it changes)`
          : '';
        return `${p.name} now reuses ${p.recipe!.name} with the parameters of ${p.recipe!.fromRunId}${pinned}\n`;
      });
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
      const metric = requiredStr(args.flags.metric, 'metric', 'the metric that decides the best run, e.g. eval_loss');
      const goal = (args.flags.goal as string | undefined) ?? 'minimize';
      if (goal !== 'minimize' && goal !== 'maximize') throw usageError('--goal is minimize or maximize.');
      const p = await withEngine(ctx, (call) => call('projects.setObjective', { ref: args.positionals[0]!, metric, goal }));
      ctx.print(p, () => `${p.name}: best means ${p.objective.goal} ${p.objective.metric}\n`);
      return 0;
    },
  },
];
