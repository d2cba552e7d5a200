// `tunebench run ...`: launch, list, show, logs, metrics, cancel, wait, sync.
import { FINAL_STATUSES, type MetricPoint, type Run } from '../../../shared/domain/run';
import { usageError } from '../args';
import { EngineError } from '../../errors';
import type { Command } from '../command';
import { keyValues, oneLine, table, when } from '../format';
import { METRICS_CSV_HEADER, metricPointLine } from '../../../shared/metric-export';
import { withEngine } from '../with-engine';

/** A marker's line or step: as found, or ~ when worked out from the log's clock, or - when unknown. */
const place = (v: number | null, own: boolean) => (v === null ? '-' : own ? String(v) : `~${v}`);

const RUN = [{ name: 'ID', required: true, help: 'The run id' }];

function showRun(r: Run): string {
  return keyValues([
    ['id', r.id],
    ['name', r.name],
    // A finished run is never synced again, so "will resume" would be false (older versions marked some).
    ['status', `${r.status}${r.disconnected && !FINAL_STATUSES.includes(r.status) ? ' (host unreachable: will resume)' : ''}`],
    ['recipe', r.recipe],
    ['host', r.hostName],
    ['remote dir', r.remoteDir],
    ...(r.job
      ? ([
          ['job', `${r.job.jobId}${r.job.state ? ` ${r.job.state}` : ''}${r.job.reason ? ` (${r.job.reason})` : ''}${r.job.nodes ? ` on ${r.job.nodes}` : ''}`],
          ['attempt', String(r.job.attempt + 1)],
          [
            'resources',
            Object.entries(r.job.resources)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' '),
          ],
        ] as [string, string][])
      : []),
    ['exit code', r.exitCode === null ? '—' : String(r.exitCode)],
    ['created', when(r.createdAt)],
    ['ended', r.endedAt ? when(r.endedAt) : '—'],
    ['log lines', String(r.logLines)],
    ['metric points', String(r.metricPoints)],
    ['malformed lines', String(r.malformedLines)],
    ...(r.lastError ? [['last error', r.lastError] as [string, string]] : []),
  ]);
}

function parseParams(list: unknown): Record<string, string> {
  // No prototype: "constructor=1" or "toString=1" is then an own key, which the recipe's check
  // refuses as unknown like any other, rather than an assignment onto an inherited name.
  const out = Object.create(null) as Record<string, string>;
  for (const kv of Array.isArray(list) ? (list as string[]) : []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw usageError(`--param takes key=value, not "${kv}".`);
    const key = kv.slice(0, i);
    // The only name a parameter record cannot carry (JSON and validation drop it without a word),
    // and no recipe has it: say so rather than launch without it.
    if (key === '__proto__') throw new EngineError('VALIDATION_FAILED', 'No recipe has a parameter "__proto__". Give one of the recipe\'s own parameters as --param KEY=VALUE.');
    out[key] = kv.slice(i + 1);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const runCommands: Command[] = [
  {
    path: ['run', 'launch'],
    summary: 'Launch a run of a recipe on a host',
    positionals: [],
    flags: {
      project: { kind: 'string', value: 'P', help: 'Project id or name (required)' },
      host: { kind: 'string', value: 'H', help: 'Host name (required; "local" is this machine)' },
      recipe: { kind: 'string', value: 'R', help: 'Recipe name (required): demo-lora-stdlib, custom' },
      param: { kind: 'list', value: 'KEY=VALUE', help: 'A recipe parameter (repeatable)' },
      dataset: { kind: 'string', value: 'FILE', help: 'A local dataset file to upload (once per host, by digest)' },
      code: { kind: 'string', value: 'DIR', help: 'A local code directory to upload (git ls-files when a repository; commit and changes recorded)' },
      gpus: { kind: 'string', value: 'I,J', help: 'Workstation: only these GPUs (nvidia-smi indices), as CUDA_VISIBLE_DEVICES' },
      nodes: { kind: 'number', value: 'N', help: 'Cluster: nodes (one task per node; torchrun recipes span them)' },
      'gpus-per-node': { kind: 'number', value: 'G', help: 'Cluster: GPUs per node' },
      'cpus-per-task': { kind: 'number', value: 'C', help: 'Cluster: CPUs per node' },
      mem: { kind: 'string', value: 'M', help: 'Cluster: memory per node, e.g. 64G' },
      time: { kind: 'string', value: 'T', help: "Cluster: time limit, e.g. 4:00:00 (default: the cluster's)" },
      partition: { kind: 'string', value: 'P', help: "Cluster: partition (default: the cluster's)" },
      account: { kind: 'string', value: 'A', help: 'Cluster: account' },
      qos: { kind: 'string', value: 'Q', help: 'Cluster: QOS' },
      array: { kind: 'number', value: 'N', help: 'Cluster: launch N runs as one job array' },
      throttle: { kind: 'number', value: 'K', help: 'Cluster: at most K array elements at once' },
    },
    async run(ctx, args) {
      for (const f of ['project', 'host', 'recipe']) if (typeof args.flags[f] !== 'string') throw usageError(`--${f} is required. See \`tunebench run launch --help\`.`);
      const f = args.flags;
      const num = (k: string) => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
      const text = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
      const resources = Object.fromEntries(
        Object.entries({
          nodes: num('nodes'),
          gpusPerNode: num('gpus-per-node'),
          cpusPerTask: num('cpus-per-task'),
          mem: text('mem'),
          time: text('time'),
          partition: text('partition'),
          account: text('account'),
          qos: text('qos'),
        }).filter(([, v]) => v !== undefined),
      );
      if (num('throttle') !== undefined && num('array') === undefined) throw usageError('--throttle limits a job array: give --array N too.');
      const gpuList = text('gpus');
      if (gpuList !== undefined && !/^\s*\d+(\s*,\s*\d+)*\s*$/.test(gpuList)) throw usageError(`--gpus takes GPU indices separated by commas, e.g. --gpus 0,2 (not "${gpuList}").`);
      const gpus = gpuList?.split(',').map((g) => Number(g.trim()));
      const input = {
        project: f.project as string,
        host: f.host as string,
        recipe: f.recipe as string,
        params: parseParams(f.param),
        ...(typeof f.dataset === 'string' ? { dataset: f.dataset } : {}),
        ...(typeof f.code === 'string' ? { code: f.code } : {}),
        ...(gpus ? { gpus } : {}),
        ...(Object.keys(resources).length ? { resources } : {}),
        ...(num('array') !== undefined ? { array: { count: num('array')!, ...(num('throttle') !== undefined ? { throttle: num('throttle')! } : {}) } } : {}),
      };
      if (input.array) {
        const runs = await withEngine(ctx, (call) => call('runs.launchArray', input));
        ctx.print(
          runs,
          () =>
            `Submitted ${runs.length} runs as job array ${runs[0]?.job?.jobId.replace(/_\d+$/, '') ?? ''} on ${runs[0]?.hostName ?? ''}:\n${runs.map((r) => `  ${r.id}  job ${r.job?.jobId ?? '—'}`).join('\n')}\n`,
        );
        return 0;
      }
      const run = await withEngine(ctx, (call) => call('runs.launch', input));
      ctx.print(run, () => (run.job ? `Submitted ${run.id} to ${run.hostName} as job ${run.job.jobId} (${run.remoteDir})\n` : `Launched ${run.id} on ${run.hostName} (${run.remoteDir})\n`));
      return 0;
    },
  },
  {
    path: ['run', 'list'],
    summary: 'List runs (with --filter, the runs table: parameters, tags and metric summaries)',
    positionals: [],
    flags: {
      project: { kind: 'string', value: 'P', help: 'Only this project' },
      filter: { kind: 'string', value: 'EXPR', help: "e.g. 'status = succeeded and lr < 3e-4 and eval_loss.min < 1.2 and tag:baseline'" },
      sort: { kind: 'string', value: '[-]KEY', help: 'Sort key (a field, parameter or metric.min|max|last); "-" for descending' },
    },
    async run(ctx, args) {
      if (typeof args.flags.filter === 'string' || typeof args.flags.sort === 'string') {
        const sortArg = typeof args.flags.sort === 'string' ? args.flags.sort : '-created';
        const result = await withEngine(ctx, (call) =>
          call('runs.table', {
            ...(typeof args.flags.project === 'string' ? { project: args.flags.project } : {}),
            ...(typeof args.flags.filter === 'string' ? { filter: args.flags.filter } : {}),
            sort: { key: sortArg.replace(/^-/, ''), dir: sortArg.startsWith('-') ? 'desc' : 'asc' },
            limit: 1000,
          }),
        );
        ctx.print(
          result.rows,
          () =>
            table(
              ['ID', 'NAME', 'STATUS', 'RECIPE', 'TAGS', 'CREATED'],
              result.rows.map((r) => [r.id, r.name, r.status, r.recipe, r.tags.join(','), when(r.createdAt)]),
            ) + `${result.matched} of ${result.total} runs\n`,
        );
        return 0;
      }
      const runs = await withEngine(ctx, (call) => call('runs.list', typeof args.flags.project === 'string' ? { project: args.flags.project } : {}));
      ctx.print(runs, () =>
        table(
          ['ID', 'NAME', 'STATUS', 'RECIPE', 'HOST', 'CREATED', 'POINTS'],
          runs.map((r) => [r.id, r.name, r.status, r.recipe, r.hostName, when(r.createdAt), String(r.metricPoints)]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['run', 'annotate'],
    summary: "Set a run's name, tags and notes (what the runs table edits inline)",
    positionals: RUN,
    flags: {
      name: { kind: 'string', value: 'NAME', help: "The run's name (what `tunebench run rename` sets)" },
      tags: { kind: 'string', value: 'A,B', help: 'The run\'s tags, comma-separated (replaces them; "" clears them)' },
      notes: { kind: 'string', value: 'TEXT', help: 'The run\'s notes (replaces them; "" clears them)' },
    },
    async run(ctx, args) {
      const tags =
        typeof args.flags.tags === 'string'
          ? args.flags.tags
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean)
          : undefined;
      const notes = typeof args.flags.notes === 'string' ? args.flags.notes.trim() : undefined;
      const name = typeof args.flags.name === 'string' ? args.flags.name : undefined;
      if (tags === undefined && notes === undefined && name === undefined) throw usageError('Say what to set: --name NAME, --tags A,B and/or --notes TEXT.');
      const run = await withEngine(ctx, (call) =>
        call('runs.annotate', { id: args.positionals[0]!, ...(name !== undefined ? { name } : {}), ...(tags ? { tags } : {}), ...(notes !== undefined ? { notes } : {}) }),
      );
      ctx.print(run, () => `Annotated ${run.id} (${run.name}): tags ${run.tags.join(', ') || '(none)'}; notes ${run.notes ? JSON.stringify(run.notes) : '(none)'}\n`);
      return 0;
    },
  },
  {
    path: ['run', 'rename'],
    summary: "Give a run a human-readable name (shown beside its id; the runs table's filter and sort use it)",
    positionals: [...RUN, { name: 'NAME', required: true, help: 'The new name, e.g. warmup-test' }],
    flags: {},
    async run(ctx, args) {
      const run = await withEngine(ctx, (call) => call('runs.annotate', { id: args.positionals[0]!, name: args.positionals[1]! }));
      ctx.print(run, () => `Renamed ${run.id} to ${run.name}\n`);
      return 0;
    },
  },
  {
    path: ['run', 'show'],
    summary: 'Show a run (syncs an unfinished one first)',
    positionals: RUN,
    flags: { 'no-sync': { kind: 'boolean', help: 'Show what is stored without contacting the host' } },
    async run(ctx, args) {
      const run = await withEngine(ctx, (call) => (args.flags['no-sync'] ? call('runs.get', { id: args.positionals[0]! }) : call('runs.sync', { id: args.positionals[0]! })));
      ctx.print(run, () => showRun(run));
      return 0;
    },
  },
  {
    path: ['run', 'sync'],
    summary: 'Stream what is new from one run, or from every unfinished run',
    positionals: [{ name: 'ID', required: false, help: 'The run (default: all unfinished)' }],
    flags: {},
    async run(ctx, args) {
      const synced = await withEngine(ctx, async (call) => {
        const ids = args.positionals[0] ? [args.positionals[0]] : (await call('runs.list', {})).filter((r) => !FINAL_STATUSES.includes(r.status)).map((r) => r.id);
        const out: Run[] = [];
        for (const id of ids) out.push(await call('runs.sync', { id }));
        return out;
      });
      ctx.print(synced, () =>
        table(
          ['ID', 'STATUS', 'LOG LINES', 'POINTS'],
          synced.map((r) => [r.id, r.status + (r.disconnected ? ' (unreachable)' : ''), String(r.logLines), String(r.metricPoints)]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['run', 'logs'],
    summary: "Print a run's stored log (syncs first)",
    positionals: RUN,
    flags: { follow: { kind: 'boolean', help: 'Keep printing new lines until the run ends' } },
    async run(ctx, args) {
      const id = args.positionals[0]!;
      await withEngine(ctx, async (call) => {
        let after = 0;
        for (;;) {
          const run = await call('runs.sync', { id });
          for (;;) {
            const lines = await call('runs.logs', { id, afterLine: after, limit: 10_000 });
            if (lines.length === 0) break;
            for (const l of lines) ctx.io.stdout(ctx.json ? JSON.stringify(l) + '\n' : `${l.text}\n`);
            after = lines[lines.length - 1]!.n;
          }
          if (!args.flags.follow || FINAL_STATUSES.includes(run.status)) break;
          await sleep(500);
        }
      });
      return 0;
    },
  },
  {
    path: ['run', 'metrics'],
    summary: 'Print every stored metric point of a run',
    positionals: RUN,
    flags: { format: { kind: 'string', value: 'jsonl|csv', help: 'Output format (default jsonl)' } },
    async run(ctx, args) {
      const format = (args.flags.format as string | undefined) ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'csv') throw usageError('--format is jsonl or csv.');
      const points: MetricPoint[] = await withEngine(ctx, (call) => call('runs.metrics', { id: args.positionals[0]! }));
      if (format === 'csv') ctx.io.stdout(METRICS_CSV_HEADER + '\n');
      for (const p of points) ctx.io.stdout(metricPointLine(p, format) + '\n');
      return 0;
    },
  },
  {
    path: ['run', 'markers'],
    summary: "What a run ran into: NaN loss, loss spikes, CUDA OOM, tracebacks, NCCL errors, restarts (~ marks a place worked out from the log's clock)",
    positionals: RUN,
    flags: {},
    async run(ctx, args) {
      const markers = await withEngine(ctx, (call) => call('runs.markers', { id: args.positionals[0]! }));
      ctx.print(markers, () =>
        markers.length
          ? table(
              ['KIND', 'LINE', 'STEP', 'DETAIL'],
              markers.map((m) => [m.kind, place(m.line, m.from === 'log'), place(m.step, m.from === 'metrics'), oneLine(m.detail, 100)]),
            )
          : 'No markers.\n',
      );
      return 0;
    },
  },
  {
    path: ['run', 'search'],
    summary: 'Search logs (full text) in one run, a project, or everywhere',
    positionals: [{ name: 'WORDS', required: true, help: 'Words to find (quote a phrase)' }],
    flags: {
      run: { kind: 'string', value: 'ID', help: 'Only this run' },
      project: { kind: 'string', value: 'P', help: "Only this project's runs" },
    },
    async run(ctx, args) {
      const hits = await withEngine(ctx, (call) =>
        call('logs.search', {
          query: args.positionals[0]!,
          ...(typeof args.flags.run === 'string' ? { run: args.flags.run } : {}),
          ...(typeof args.flags.project === 'string' ? { project: args.flags.project } : {}),
        }),
      );
      ctx.print(hits, () => hits.map((h) => `${h.runId}:${h.n}: ${h.text}`).join('\n') + (hits.length ? '\n' : 'No matches.\n'));
      return 0;
    },
  },
  {
    path: ['run', 'cancel'],
    summary: 'Cancel a run: SIGTERM to its whole process group, SIGKILL after the grace period',
    positionals: RUN,
    flags: {},
    async run(ctx, args) {
      const run = await withEngine(ctx, (call) => call('runs.cancel', { id: args.positionals[0]! }));
      ctx.print(run, () => `${run.id}: ${run.status}\n`);
      return 0;
    },
  },
  {
    path: ['run', 'wait'],
    summary: 'Sync a run until it ends; exit 0 only if it succeeded',
    positionals: RUN,
    flags: { timeout: { kind: 'number', value: 'S', help: 'Give up after S seconds (exit 1)' } },
    async run(ctx, args) {
      const id = args.positionals[0]!;
      const deadline = typeof args.flags.timeout === 'number' ? Date.now() + args.flags.timeout * 1000 : Infinity;
      const run = await withEngine(ctx, async (call) => {
        for (;;) {
          const r = await call('runs.sync', { id });
          if (FINAL_STATUSES.includes(r.status) || Date.now() > deadline) return r;
          await sleep(500);
        }
      });
      ctx.print(run, () => showRun(run));
      if (!FINAL_STATUSES.includes(run.status)) {
        throw new EngineError(
          'RUN_WAIT_TIMEOUT',
          `${run.id} is still ${run.status} after ${args.flags.timeout} s; it keeps running. Wait longer with --timeout, or follow it with \`tunebench run logs ${run.id} --follow\`.`,
        );
      }
      return run.status === 'SUCCEEDED' ? 0 : 1;
    },
  },
];
