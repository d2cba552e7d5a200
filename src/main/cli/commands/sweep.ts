// `tunebench sweep ...`: define a sweep from a file, start it, follow it, pause, resume or stop it, and
// keep its best configuration as the project's recipe.
import fs from 'node:fs';
import path from 'node:path';
import { APP_DRIVEN_NOTE, sweepHostNames, type Sweep, type SweepDecision } from '../../../shared/domain/sweep';
import { EngineError } from '../../errors';
import type { Command } from '../command';
import { str } from '../args';
import { table, when } from '../format';
import { withEngine } from '../with-engine';

const SWEEP = [{ name: 'SWEEP', required: true, help: 'The sweep id or name' }] as const;

function describe(s: Sweep, decisions: SweepDecision[] = []): string {
  const started = s.trials.filter((t) => decisions.some((d) => d.action === 'start' && d.runId === t.runId)).length;
  const method = s.spec.method.name === 'asha' ? `asha (eta ${s.spec.method.eta}, ${s.spec.method.min_resource}..${s.spec.method.max_resource} ${s.spec.method.resource})` : s.spec.method.name;
  const lines = [
    `${s.name} (${s.id}): ${s.status.toLowerCase()}, ${method}, ${started} of ${s.trials.length} trials started, ${s.spec.concurrency} at a time`,
    // Several hosts: no scheduler beside the trials; the app decides, so nothing happens while it is closed.
    s.drivenBy === 'app' ? `on ${sweepHostNames(s.spec).join(', ')}: ${APP_DRIVEN_NOTE}` : `on ${sweepHostNames(s.spec).join(', ')}: its scheduler there goes on while the app is closed`,
    ...(s.best ? [`best: ${s.best.runId} = ${s.best.value} with ${JSON.stringify(s.best.params)}`] : []),
    ...(s.lastError ? [`note: ${s.lastError}`] : []),
    '',
    table(
      ['#', 'RUN', 'PARAMS', 'LAST DECISION'],
      s.trials.map((t) => [String(t.index + 1), t.runId ?? '—', JSON.stringify(t.params), t.lastDecision ?? (t.runId ? 'waiting for a slot' : 'not started')]),
    ),
  ];
  return lines.join('\n') + '\n';
}

const control = (action: 'start' | 'pause' | 'resume' | 'stop', summary: string): Command => ({
  path: ['sweep', action],
  summary,
  positionals: SWEEP,
  flags: {},
  async run(ctx, args) {
    const s = await withEngine(ctx, (call) => call(`sweeps.${action}`, { sweep: args.positionals[0]! }));
    ctx.print(s, () => describe(s));
    return 0;
  },
});

export const sweepCommands: Command[] = [
  {
    path: ['sweep', 'create'],
    summary: 'Define a sweep from a YAML or JSON file (project, host or hosts, recipe, method, trials, concurrency, params)',
    positionals: [{ name: 'FILE', required: true, help: 'The sweep file' }],
    flags: { start: { kind: 'boolean', help: 'Start it at once' } },
    async run(ctx, args) {
      const file = args.positionals[0]!;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new EngineError('SWEEP_INVALID', `Cannot read ${file}: ${(err as Error).message}. Give a readable YAML or JSON file.`);
      }
      const s = await withEngine(ctx, async (call) => {
        const created = await call('sweeps.create', { text, fileName: path.basename(file) });
        return args.flags.start ? call('sweeps.start', { sweep: created.id }) : created;
      });
      ctx.print(s, () => describe(s) + (s.status === 'DRAFT' ? `Start it with \`tunebench sweep start ${s.id}\`.\n` : ''));
      return 0;
    },
  },
  control('start', "Place every trial on the host and start the sweep's scheduler there (it goes on while the app is closed)"),
  control('pause', 'Start no new trials (running ones go on)'),
  control('resume', 'Start trials again after a pause'),
  control('stop', 'Stop the running trials and start no more'),
  {
    path: ['sweep', 'show'],
    summary: "A sweep's trials, their last decisions and the best one (reads the host's new decisions first)",
    positionals: SWEEP,
    flags: { decisions: { kind: 'boolean', help: 'List every decision the scheduler made' } },
    async run(ctx, args) {
      const ref = args.positionals[0]!;
      const { sweep, decisions } = await withEngine(ctx, async (call) => {
        // Unreachable host: show what is stored, and say so.
        const synced = await call('sweeps.sync', { sweep: ref }).catch((err: unknown) => ({ error: err as Error }));
        const sweep = 'error' in synced ? { ...(await call('sweeps.get', { sweep: ref })), lastError: `not read from the host now: ${synced.error.message}` } : synced;
        return { sweep, decisions: await call('sweeps.decisions', { sweep: ref }) };
      });
      ctx.print({ ...sweep, decisions }, () => {
        const text = describe(sweep, decisions);
        if (!args.flags.decisions) return text;
        return (
          text +
          '\n' +
          table(
            ['#', 'WHEN', 'ACTION', 'RUN', 'WHY'],
            decisions.map((d) => [String(d.seq), when(d.ts * 1000), d.action, d.runId ?? '—', d.reason]),
          )
        );
      });
      return 0;
    },
  },
  {
    path: ['sweep', 'list'],
    summary: 'Sweeps, newest first',
    positionals: [],
    flags: { project: { kind: 'string', value: 'P', help: 'Only this project' } },
    async run(ctx, args) {
      const project = str(args.flags.project);
      const list = await withEngine(ctx, (call) => call('sweeps.list', project ? { project } : {}));
      ctx.print(list, () =>
        table(
          ['ID', 'NAME', 'STATUS', 'METHOD', 'TRIALS', 'BEST', 'CREATED'],
          list.map((s) => [s.id, s.name, s.status.toLowerCase(), s.spec.method.name, String(s.trials.length), s.best ? String(s.best.value) : '—', when(s.createdAt)]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['sweep', 'save-best'],
    summary: "Keep the best trial's recipe and parameters as the project's, for reuse",
    positionals: SWEEP,
    flags: {},
    async run(ctx, args) {
      const p = await withEngine(ctx, (call) => call('sweeps.saveBest', { sweep: args.positionals[0]! }));
      ctx.print(p, () => `${p.name} now reuses ${p.recipe!.name} with the parameters of ${p.recipe!.fromRunId}\n`);
      return 0;
    },
  },
];
