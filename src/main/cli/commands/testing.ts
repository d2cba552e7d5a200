// `tunebench suite ...` and `tunebench test ...`: suites, test runs of a candidate against a baseline,
// their verdicts, waivers and reports; and the project's gate policy and production model.
import fs from 'node:fs';
import path from 'node:path';
import { FINAL_STATUSES } from '../../../shared/domain/run';
import { METRIC_NAMES, type GatePolicy, type TestRunSummary } from '../../../shared/domain/testing';
import { EngineError } from '../../errors';
import type { Command } from '../command';
import { requiredStr, str, usageError } from '../args';
import { keyValues, oneLine, table, when } from '../format';
import { withEngine, type Call } from '../with-engine';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TEST = [{ name: 'TEST', required: true, help: 'The test run id' }];
const PROJECT_FLAG = { project: { kind: 'string' as const, value: 'P', help: 'Project id or name (required)' } };

function showTest(t: TestRunSummary): string {
  return keyValues([
    ['test run', t.id],
    ['verdict', t.verdict ?? '(no case answered by both models yet)'],
    ['status', t.status + (t.disconnected ? ' (host unreachable)' : '')],
    ['suite', `${t.suite.name}@${t.suite.version} (${t.suite.digest.slice(0, 19)}…)`],
    ['candidate', `${t.candidate.runId}${t.candidate.checkpoint ? `:${t.candidate.checkpoint}` : ''}`],
    ['baseline', t.baseline.label],
    ['host', t.hostName],
    ['cases', `${t.progress.done} of ${t.progress.total} answered`],
    ['report sha256', t.reportSha256 ?? '(made when the run ends)'],
    ['started', when(t.createdAt)],
    ...(t.lastError ? ([['last error', oneLine(t.lastError, 200)]] as [string, string][]) : []),
  ]);
}

/** The exit code of a waited-for test run: 0 only on PASS; still running past the timeout is an error. */
function waitedExit(t: TestRunSummary, timeout: unknown): number {
  if (!FINAL_STATUSES.includes(t.status as never))
    throw new EngineError('RUN_WAIT_TIMEOUT', `Test run ${t.id} is still ${t.status} after ${String(timeout)} s; it keeps running. Wait again with \`tunebench test wait ${t.id}\`.`);
  return t.verdict === 'PASS' ? 0 : 1;
}

/** Syncs a test run until it ends (the engine refreshes its verdict and report as cases arrive). */
async function waitForTest(call: Call, id: string, timeoutS: number | undefined): Promise<TestRunSummary> {
  const deadline = timeoutS !== undefined ? Date.now() + timeoutS * 1000 : Infinity;
  for (;;) {
    const run = await call('runs.sync', { id });
    if (FINAL_STATUSES.includes(run.status) || Date.now() > deadline) return call('tests.get', { id });
    await sleep(500);
  }
}

function parseMetricBar(spec: string): [string, GatePolicy['metrics'][string]] {
  // NAME>=0.6, NAME<=4.0, or NAME:abs=0.01,rel=0.05,higher|lower
  const m = /^([A-Za-z0-9_.]+)\s*(>=|<=|:)\s*(.+)$/.exec(spec.trim());
  if (!m) throw usageError(`--metric ${spec.slice(0, 60)}: write NAME>=FLOOR, NAME<=CEILING, or NAME:abs=X,rel=Y,higher|lower.`);
  const [, name, op, rest] = m;
  if (!(METRIC_NAMES as readonly string[]).includes(name!)) throw usageError(`--metric ${spec.slice(0, 60)}: no metric "${name!.slice(0, 40)}". Bars are set on ${METRIC_NAMES.join(', ')}.`);
  const bar: GatePolicy['metrics'][string] = { threshold: null, minAbsoluteChange: null, minRelativeChange: null, greaterIsBetter: op !== '<=' };
  if (op !== ':') {
    bar.threshold = Number(rest);
    if (!Number.isFinite(bar.threshold)) throw usageError(`--metric ${spec.slice(0, 60)}: the bar is not a number.`);
    return [name!, bar];
  }
  for (const part of rest!.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k === 'higher' || k === 'lower') bar.greaterIsBetter = k === 'higher';
    else if (k === 'abs' || k === 'rel' || k === 'threshold') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw usageError(`--metric ${spec.slice(0, 60)}: ${k} needs a number.`);
      if (k === 'abs') bar.minAbsoluteChange = n;
      else if (k === 'rel') bar.minRelativeChange = n;
      else bar.threshold = n;
    } else throw usageError(`--metric ${spec.slice(0, 60)}: unknown part "${part.slice(0, 30)}" (use threshold=, abs=, rel=, higher, lower).`);
  }
  return [name!, bar];
}

export const testingCommands: Command[] = [
  {
    path: ['suite', 'add'],
    summary: 'Add a test suite (YAML or JSON) to a project as name@version',
    positionals: [{ name: 'FILE', required: true, help: 'The suite file' }],
    flags: PROJECT_FLAG,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project the suite is for');
      const file = args.positionals[0]!;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new EngineError('SUITE_INVALID', `Cannot read ${file}: ${(err as Error).message}. Give a readable YAML or JSON file.`);
      }
      const r = await withEngine(ctx, (call) => call('suites.add', { project, fileName: path.basename(file), text }));
      ctx.print(
        r,
        () =>
          `${r.added ? 'Added' : 'Already there:'} ${r.suite.name}@${r.suite.version}: ${r.suite.cases} cases (${Object.entries(r.suite.kinds)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}), ${r.suite.digest}\n`,
      );
      return 0;
    },
  },
  {
    path: ['suite', 'list'],
    summary: "List a project's suites and their versions",
    positionals: [],
    flags: PROJECT_FLAG,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project');
      const list = await withEngine(ctx, (call) => call('suites.list', { project }));
      ctx.print(list, () =>
        list.length
          ? table(
              ['SUITE', 'CASES', 'KINDS', 'DIGEST', 'ADDED'],
              list.map((s) => [
                `${s.name}@${s.version}`,
                String(s.cases),
                Object.entries(s.kinds)
                  .map(([k, n]) => `${k}:${n}`)
                  .join(' '),
                `${s.digest.slice(0, 19)}…`,
                when(s.createdAt),
              ]),
            )
          : 'No suites. Add one with `tunebench suite add FILE --project P`.\n',
      );
      return 0;
    },
  },
  {
    path: ['suite', 'show'],
    summary: 'Show a suite (NAME for the newest version, or NAME@VERSION) and its cases',
    positionals: [{ name: 'NAME[@VERSION]', required: true, help: 'The suite' }],
    flags: PROJECT_FLAG,
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project');
      const r = await withEngine(ctx, (call) => call('suites.get', { project, suite: args.positionals[0]! }));
      ctx.print(
        r,
        () =>
          keyValues([
            ['suite', `${r.suite.name}@${r.suite.version}`],
            ['digest', r.suite.digest],
            ['file', r.fileName],
            ['judge', r.spec.judge ? `${r.spec.judge.command.join(' ')} (${r.spec.judge.enabled ? 'enabled' : 'off'})` : 'none'],
            ['harness', r.spec.harness ? r.spec.harness.tasks.map((t) => t.task).join(', ') : 'none'],
          ]) +
          table(
            ['CASE', 'KIND', 'TAGS', 'CRITICAL', 'INPUT'],
            r.spec.cases.map((c) => [c.id, c.kind, c.tags.join(','), c.critical ? 'yes' : '', oneLine(c.input, 60)]),
          ),
      );
      return 0;
    },
  },
  {
    path: ['test', 'run'],
    summary: 'Test a candidate against the production model (or base, or a run) on a suite, on the host that holds their files',
    positionals: [],
    flags: {
      ...PROJECT_FLAG,
      candidate: { kind: 'string', value: 'RUN[:CHECKPOINT]', help: 'The candidate (required)' },
      baseline: { kind: 'string', value: 'production|base|RUN[:CHECKPOINT]', help: 'What to compare with (default: production, else the base model)' },
      suite: { kind: 'string', value: 'NAME[@VERSION]', help: 'The suite (required; newest version unless pinned)' },
      host: { kind: 'string', value: 'H', help: "Where to evaluate (default: the candidate's host)" },
      wait: { kind: 'boolean', help: 'Wait for the verdict; exit 0 only on PASS' },
      timeout: { kind: 'number', value: 'S', help: 'With --wait: give up after S seconds' },
    },
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project');
      const candidate = requiredStr(args.flags.candidate, 'candidate', 'the candidate run, RUN or RUN:CHECKPOINT');
      const suite = requiredStr(args.flags.suite, 'suite', 'the suite, NAME or NAME@VERSION');
      const t = await withEngine(ctx, async (call) => {
        const started = await call('tests.start', {
          project,
          candidate,
          suite,
          ...(str(args.flags.baseline) ? { baseline: str(args.flags.baseline)! } : {}),
          ...(str(args.flags.host) ? { host: str(args.flags.host)! } : {}),
        });
        if (!args.flags.wait) return started;
        if (!ctx.json) ctx.io.stderr(`test run ${started.id} started; waiting for its verdict…\n`);
        return waitForTest(call, started.id, typeof args.flags.timeout === 'number' ? args.flags.timeout : undefined);
      });
      ctx.print(t, () => showTest(t));
      return args.flags.wait ? waitedExit(t, args.flags.timeout) : 0;
    },
  },
  {
    path: ['test', 'wait'],
    summary: 'Sync a test run until it ends; exit 0 only on PASS',
    positionals: TEST,
    flags: { timeout: { kind: 'number', value: 'S', help: 'Give up after S seconds' } },
    async run(ctx, args) {
      const t = await withEngine(ctx, (call) => waitForTest(call, args.positionals[0]!, typeof args.flags.timeout === 'number' ? args.flags.timeout : undefined));
      ctx.print(t, () => showTest(t));
      return waitedExit(t, args.flags.timeout);
    },
  },
  {
    path: ['test', 'list'],
    summary: 'List test runs with their verdicts, newest first',
    positionals: [],
    flags: { project: { kind: 'string', value: 'P', help: 'Only this project' } },
    async run(ctx, args) {
      const list = await withEngine(ctx, (call) => call('tests.list', str(args.flags.project) ? { project: str(args.flags.project)! } : {}));
      ctx.print(list, () =>
        list.length
          ? table(
              ['TEST', 'VERDICT', 'STATUS', 'SUITE', 'CANDIDATE', 'BASELINE', 'CASES'],
              list.map((t) => [
                t.id,
                t.verdict ?? '—',
                t.status,
                `${t.suite.name}@${t.suite.version}`,
                t.candidate.runId + (t.candidate.checkpoint ? `:${t.candidate.checkpoint}` : ''),
                oneLine(t.baseline.label, 40),
                `${t.progress.done}/${t.progress.total}`,
              ]),
            )
          : 'No test runs.\n',
      );
      return 0;
    },
  },
  {
    path: ['test', 'show'],
    summary: 'Show a test run: verdict, gates with their numbers, and the regressions',
    positionals: TEST,
    flags: { 'no-sync': { kind: 'boolean', help: 'Do not reach the host first' } },
    async run(ctx, args) {
      const id = args.positionals[0]!;
      const { t, report } = await withEngine(ctx, async (call) => {
        if (!args.flags['no-sync']) await call('runs.sync', { id });
        return { t: await call('tests.get', { id }), report: await call('tests.report', { id }) };
      });
      ctx.print({ ...t, gates: report.comparison.gates, reason: report.comparison.reason }, () => {
        const regressions = report.comparison.cases.filter((c) => c.change === 'regression');
        return (
          showTest(t) +
          `\n${report.comparison.verdict}: ${report.comparison.reason}\n\n` +
          table(
            ['GATE', 'OUTCOME', 'SUMMARY'],
            report.comparison.gates.map((g) => [g.id, g.outcome.toUpperCase(), oneLine(g.summary, 120)]),
          ) +
          (regressions.length
            ? `\nRegressions (${regressions.length}):\n` +
              table(
                ['CASE', 'KIND', 'CRITICAL', 'WAIVED', 'CANDIDATE'],
                regressions.slice(0, 50).map((c) => [c.caseId, c.kind, c.critical ? 'yes' : '', c.waived ? oneLine(c.waived, 30) : '', oneLine(c.candidate?.detail ?? '', 60)]),
              )
            : '')
        );
      });
      return 0;
    },
  },
  {
    path: ['test', 'report'],
    summary: 'Write the report: one self-contained HTML file (opens offline) or the versioned JSON',
    positionals: TEST,
    flags: {
      out: { kind: 'string', value: 'FILE', help: 'Where to write it (required)' },
      format: { kind: 'string', value: 'html|json', help: 'Default html' },
    },
    async run(ctx, args) {
      const out = requiredStr(args.flags.out, 'out', 'the file to write');
      const format = str(args.flags.format) ?? 'html';
      if (format !== 'html' && format !== 'json') throw usageError('--format is html or json.');
      const id = args.positionals[0]!;
      const written = await withEngine(ctx, async (call) => {
        if (format === 'json') {
          const text = `${JSON.stringify(await call('tests.report', { id }), null, 2)}\n`;
          return { text, sha256: '' };
        }
        const r = await call('tests.reportHtml', { id });
        return { text: r.html, sha256: r.sha256 };
      });
      fs.writeFileSync(out, written.text);
      const bytes = Buffer.byteLength(written.text);
      const sha256 = written.sha256 || (await import('node:crypto')).createHash('sha256').update(written.text).digest('hex');
      ctx.print({ file: path.resolve(out), format, bytes, sha256 }, () => `Wrote ${out} (${(bytes / 1024).toFixed(1)} KiB, sha256 ${sha256})\n`);
      return 0;
    },
  },
  {
    path: ['test', 'waive'],
    summary: "Waive one case's regression with a reason (recorded in the report); the verdict is computed again",
    positionals: TEST,
    flags: {
      case: { kind: 'string', value: 'ID', help: 'The case id (required)' },
      reason: { kind: 'string', value: 'TEXT', help: 'Why the regression is acceptable (required)' },
    },
    async run(ctx, args) {
      const caseId = requiredStr(args.flags.case, 'case', 'the case id to waive');
      const reason = requiredStr(args.flags.reason, 'reason', 'why this regression is acceptable');
      const t = await withEngine(ctx, (call) => call('tests.waive', { id: args.positionals[0]!, caseId, reason }));
      ctx.print(t, () => `Waived ${caseId}. ${t.id}: ${t.verdict ?? '—'}\n`);
      return 0;
    },
  },
  {
    path: ['test', 'resume'],
    summary: 'Start a stopped test run again; finished cases are kept, not repeated',
    positionals: TEST,
    flags: {},
    async run(ctx, args) {
      const t = await withEngine(ctx, (call) => call('tests.resume', { id: args.positionals[0]! }));
      ctx.print(t, () => `${t.id}: ${t.status}, ${t.progress.done} of ${t.progress.total} cases kept\n`);
      return 0;
    },
  },
  {
    path: ['test', 'cancel'],
    summary: 'Stop a test run (resume it later with `test resume`)',
    positionals: TEST,
    flags: {},
    async run(ctx, args) {
      const t = await withEngine(ctx, (call) => call('tests.cancel', { id: args.positionals[0]! }));
      ctx.print(t, () => `${t.id}: ${t.status}\n`);
      return 0;
    },
  },
  {
    path: ['test', 'policy'],
    summary: "Show or change a project's gate policy (the bar a candidate must clear)",
    positionals: [{ name: 'PROJECT', required: true, help: 'The project' }],
    flags: {
      delta: { kind: 'number', value: 'D', help: 'Non-inferiority margin on the suite score (0..1)' },
      confidence: { kind: 'number', value: 'C', help: 'Interval confidence, e.g. 0.95 (McNemar alpha = 1 - C)' },
      'min-cases': { kind: 'number', value: 'N', help: 'Scored cases needed to decide' },
      resamples: { kind: 'number', value: 'B', help: 'Bootstrap resamples' },
      metric: { kind: 'list', value: 'BAR', help: 'pass_rate>=0.6, perplexity<=5, score:abs=0,rel=-0.01,higher (repeatable)' },
      'clear-metrics': { kind: 'boolean', help: 'Drop every metric bar first' },
      require: { kind: 'list', value: 'SUITE', help: 'A suite every production decision needs (repeatable)' },
      pin: { kind: 'string', value: 'NAME@VERSION', help: 'The suite version pinned for production decisions ("none" to unpin)' },
    },
    async run(ctx, args) {
      const project = args.positionals[0]!;
      const policy = await withEngine(ctx, async (call) => {
        const current = await call('tests.policy', { project });
        const changes: Partial<GatePolicy> = {};
        const n = (k: string) => (typeof args.flags[k] === 'number' ? (args.flags[k] as number) : undefined);
        if (n('delta') !== undefined) changes.delta = n('delta')!;
        if (n('confidence') !== undefined) changes.confidence = n('confidence')!;
        if (n('min-cases') !== undefined) changes.minCases = n('min-cases')!;
        if (n('resamples') !== undefined) changes.bootstrapResamples = n('resamples')!;
        const bars = (args.flags.metric as string[] | undefined) ?? [];
        if (bars.length || args.flags['clear-metrics']) changes.metrics = { ...(args.flags['clear-metrics'] ? {} : current.metrics), ...Object.fromEntries(bars.map(parseMetricBar)) };
        const req = args.flags.require as string[] | undefined;
        if (req) changes.requiredSuites = [...new Set(req)];
        const pin = str(args.flags.pin);
        if (pin !== undefined) changes.pinnedSuite = pin === 'none' ? null : pin;
        return Object.keys(changes).length ? call('tests.setPolicy', { project, policy: changes }) : current;
      });
      ctx.print(policy, () =>
        keyValues([
          [
            'non-inferiority',
            `candidate - baseline >= -${policy.delta} (lower bound of a paired-bootstrap ${policy.confidence * 100}% interval, ${policy.bootstrapResamples} resamples, seed ${policy.bootstrapSeed})`,
          ],
          ['McNemar', `fails when significantly worse at alpha ${Number((1 - policy.confidence).toFixed(4))}`],
          ['minimum cases', String(policy.minCases)],
          [
            'metric bars',
            Object.entries(policy.metrics)
              .map(
                ([k, b]) =>
                  `${k} (${b.greaterIsBetter ? 'higher' : 'lower'} is better${b.threshold !== null ? `, floor ${b.threshold}` : ''}${b.minAbsoluteChange !== null ? `, abs change >= ${b.minAbsoluteChange}` : ''}${b.minRelativeChange !== null ? `, rel change >= ${b.minRelativeChange}` : ''})`,
              )
              .join('; ') || 'none',
          ],
          ['required suites', policy.requiredSuites.join(', ') || 'none'],
          ['pinned suite', policy.pinnedSuite ?? 'none'],
        ]),
      );
      return 0;
    },
  },
  {
    path: ['project', 'set-production'],
    summary: 'Say which model is in production (the default baseline of test runs)',
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: { model: { kind: 'string', value: 'RUN[:CHECKPOINT]', help: 'The run (and checkpoint) in production; "none" to clear' } },
    async run(ctx, args) {
      const model = requiredStr(args.flags.model, 'model', 'the run in production, RUN or RUN:CHECKPOINT');
      const p = await withEngine(ctx, (call) => call('projects.setProduction', { project: args.positionals[0]!, model: model === 'none' ? null : model }));
      ctx.print(
        p,
        () => `${p.name}: production is ${p.production ? `${p.production.runId}${p.production.checkpoint ? `:${p.production.checkpoint}` : ''}` : 'not set (tests compare with the base model)'}\n`,
      );
      return 0;
    },
  },
];
