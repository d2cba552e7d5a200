// `tunebench dataset ...` and `tunebench trigger ...`: datasets with versions, and the triggers that
// train the project's saved recipe again on new data, test it and propose it on a PASS.
import type { Firing } from '../../../shared/domain/continuous';
import type { Command } from '../command';
import { requiredStr, str, usageError } from '../args';
import { oneLine, table, when } from '../format';
import { withEngine } from '../with-engine';

const PROJECT = { project: { kind: 'string', value: 'P', help: 'Project id or name (required)' } } as const;
const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`);
const firingRows = (list: Firing[]) =>
  table(
    ['FIRED', 'STATUS', 'WHY', 'RUN', 'TEST', 'WHAT HAPPENED'],
    list.map((f) => [when(f.firedAt), f.status.toLowerCase(), oneLine(f.reason, 60), f.runId ?? '—', f.testId ?? '—', oneLine(f.detail ?? '', 80)]),
  );

export const continuousCommands: Command[] = [
  {
    path: ['dataset', 'add'],
    summary: "Add a file as a project dataset's next version (fires the dataset's triggers)",
    positionals: [{ name: 'FILE', required: true, help: 'The dataset file' }],
    flags: { ...PROJECT, name: { kind: 'string', value: 'N', help: 'The dataset name (required)' } },
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const name = requiredStr(args.flags.name, 'name', 'the dataset name, e.g. train');
      const r = await withEngine(ctx, (call) => call('datasets.add', { project, name, file: args.positionals[0]! }));
      ctx.print(r, () => {
        const v = r.version;
        const head = r.added
          ? `${r.dataset.name} version ${v.version}: ${size(v.bytes)}, ${v.lines} lines, sha256 ${v.sha256}\n`
          : `${r.dataset.name} is unchanged (the same bytes as version ${v.version}): nothing added, nothing fired.\n`;
        return head + (r.fired.length ? r.fired.map((f) => `fired: ${f.status === 'COLLAPSED' ? f.detail : `firing ${f.id} waits its turn`}\n`).join('') : '') + (r.added ? `\n${v.preview}\n` : '');
      });
      return 0;
    },
  },
  {
    path: ['dataset', 'watch'],
    summary: 'Watch a file on a host by digest: each new content becomes the next version (and fires the triggers)',
    positionals: [],
    flags: {
      ...PROJECT,
      name: { kind: 'string', value: 'N', help: 'The dataset name (required)' },
      host: { kind: 'string', value: 'H', help: 'The host that has the file (required)' },
      path: { kind: 'string', value: '/ABS/FILE', help: 'The file on the host (required)' },
    },
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const name = requiredStr(args.flags.name, 'name', 'the dataset name, e.g. train');
      const host = requiredStr(args.flags.host, 'host', 'the host that has the file');
      const file = requiredStr(args.flags.path, 'path', 'the absolute path of the file on the host');
      const d = await withEngine(ctx, (call) => call('datasets.watch', { project, name, host, path: file }));
      ctx.print(d, () => `Watching ${file} for ${d.name}: the app looks every 30 s (or run \`tunebench trigger tick\`); each new content becomes a version.\n`);
      return 0;
    },
  },
  {
    path: ['dataset', 'list'],
    summary: "A project's datasets and their newest versions",
    positionals: [],
    flags: PROJECT,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const list = await withEngine(ctx, (call) => call('datasets.list', { project }));
      ctx.print(list, () =>
        table(
          ['NAME', 'VERSIONS', 'NEWEST', 'SIZE', 'LINES', 'SHA256', 'ADDED'],
          list.map((d) => [
            d.name,
            String(d.versions),
            d.latest ? `v${d.latest.version}` : '—',
            d.latest ? size(d.latest.bytes) : '—',
            String(d.latest?.lines ?? '—'),
            d.latest?.sha256.slice(0, 12) ?? '—',
            d.latest ? when(d.latest.createdAt) : '—',
          ]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['dataset', 'versions'],
    summary: 'Every version of a dataset, newest first, with a preview of the newest',
    positionals: [{ name: 'NAME', required: true, help: 'The dataset' }],
    flags: PROJECT,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const list = await withEngine(ctx, (call) => call('datasets.versions', { project, dataset: args.positionals[0]! }));
      ctx.print(
        list,
        () =>
          table(
            ['VERSION', 'SIZE', 'LINES', 'SHA256', 'ADDED', 'FROM'],
            list.map((v) => [`v${v.version}`, size(v.bytes), String(v.lines), v.sha256, when(v.createdAt), v.source]),
          ) + (list[0] ? `\n${list[0].preview}\n` : ''),
      );
      return 0;
    },
  },
  {
    path: ['trigger', 'add'],
    summary: "Train the project's saved recipe again on new data: on a dataset's new version, on a schedule, or by hand",
    positionals: [],
    flags: {
      ...PROJECT,
      host: { kind: 'string', value: 'H', help: 'Where it trains (required)' },
      'on-dataset': { kind: 'string', value: 'N', help: 'Fire on each new version of this dataset' },
      schedule: { kind: 'string', value: 'CRON', help: 'Fire on this schedule, e.g. "0 3 * * *" (a window missed while the app was closed runs once)' },
      manual: { kind: 'boolean', help: 'Fire only by hand (tunebench trigger fire ID)' },
      dataset: { kind: 'string', value: 'N', help: 'For a schedule or manual trigger: train on the newest version of this dataset' },
    },
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const host = requiredStr(args.flags.host, 'host', 'the host to train on');
      const onDataset = str(args.flags['on-dataset']);
      const schedule = str(args.flags.schedule);
      const kinds = [onDataset ? 'dataset' : null, schedule ? 'schedule' : null, args.flags.manual ? 'manual' : null].filter(Boolean);
      if (kinds.length !== 1) throw usageError('Give exactly one of --on-dataset N, --schedule CRON or --manual.');
      const dataset = onDataset ?? str(args.flags.dataset);
      const t = await withEngine(ctx, (call) =>
        call('triggers.add', { project, host, kind: kinds[0] as 'dataset' | 'schedule' | 'manual', ...(dataset ? { dataset } : {}), ...(schedule ? { schedule } : {}) }),
      );
      ctx.print(t, () => `Trigger ${t.id}: ${t.kind === 'dataset' ? `each new version of ${t.datasetName}` : t.kind === 'schedule' ? `on "${t.schedule}"` : 'by hand'}, training on ${t.hostName}\n`);
      return 0;
    },
  },
  {
    path: ['trigger', 'list'],
    summary: "A project's triggers",
    positionals: [],
    flags: PROJECT,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const list = await withEngine(ctx, (call) => call('triggers.list', { project }));
      ctx.print(list, () =>
        table(
          ['ID', 'FIRES', 'DATA', 'HOST', 'ENABLED', 'LAST WINDOW'],
          list.map((t) => [
            t.id,
            t.kind === 'schedule' ? `schedule ${t.schedule}` : t.kind === 'dataset' ? 'new version' : 'by hand',
            t.datasetName ?? '—',
            t.hostName,
            t.enabled ? 'yes' : 'no',
            t.lastWindowAt ? when(t.lastWindowAt) : '—',
          ]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['trigger', 'fire'],
    summary: 'Fire a trigger now (it waits its turn behind the project’s firing under way)',
    positionals: [{ name: 'ID', required: true, help: 'The trigger' }],
    flags: {},
    async run(ctx, args) {
      const f = await withEngine(ctx, (call) => call('triggers.fire', { trigger: args.positionals[0]! }));
      ctx.print(f, () => (f.status === 'COLLAPSED' ? `${f.detail}\n` : `Firing ${f.id} waits its turn (the app moves it along; or run \`tunebench trigger tick\`).\n`));
      return 0;
    },
  },
  ...(['enable', 'disable'] as const).map((verb): Command => ({
    path: ['trigger', verb],
    summary: verb === 'enable' ? 'Let a trigger fire again' : 'Stop a trigger from firing (its history stays)',
    positionals: [{ name: 'ID', required: true, help: 'The trigger' }],
    flags: {},
    async run(ctx, args) {
      const t = await withEngine(ctx, (call) => call('triggers.enable', { trigger: args.positionals[0]!, enabled: verb === 'enable' }));
      ctx.print(t, () => `Trigger ${t.id} ${t.enabled ? 'enabled' : 'disabled'}\n`);
      return 0;
    },
  })),
  {
    path: ['trigger', 'history'],
    summary: "Every firing of a project's triggers: why it fired, what it produced, or why not",
    positionals: [],
    flags: PROJECT,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project id or name');
      const list = await withEngine(ctx, (call) => call('triggers.history', { project }));
      ctx.print(list, () => firingRows(list));
      return 0;
    },
  },
  {
    path: ['trigger', 'tick'],
    summary: 'Move the training pipeline along once now (the app does this every few seconds)',
    positionals: [],
    flags: {},
    async run(ctx) {
      const list = await withEngine(ctx, (call) => call('triggers.tick', {}));
      ctx.print(list, () => (list.length ? firingRows(list) : 'Nothing to move along.\n'));
      return 0;
    },
  },
];
