/// <reference lib="dom" />
// The lower sections: per-tag breakdown, perf, and provenance (what exactly was compared, with which
// settings), which a reviewer checks after the verdict and before signing.
import type { CaseComparison, MetricPair, TestReport } from '../domain/testing';
import { badge, h, keyValues, mono, scrollArea, section, table, type Child } from './dom';
import { fmtBytes, fmtInt, fmtNumber, fmtPercent, fmtScore, fmtTime } from './format';

/** Most rows a perf or file table draws; the JSON keeps the rest. */
const TABLE_CAP = 500;

export function renderTags(report: TestReport): HTMLElement {
  const tags = report.comparison.tags;
  if (tags.length === 0) return section('tags', 'By tag', h('p', 'tb-empty', 'No case has a tag.'));
  const rows = tags.map((t) => [
    h('span', 'tb-tag', t.tag),
    fmtInt(t.cases),
    fmtPercent(t.baselinePassRate),
    fmtPercent(t.candidatePassRate),
    fmtScore(t.baselineScore),
    fmtScore(t.candidateScore),
    t.regressions ? h('span', 'tb-fail', fmtInt(t.regressions)) : '0',
    t.improvements ? h('span', 'tb-pass', fmtInt(t.improvements)) : '0',
  ]);
  return section(
    'tags',
    'By tag',
    table(['Tag', 'Cases', 'Baseline pass', 'Candidate pass', 'Baseline score', 'Candidate score', 'Regressions', 'Improvements'], rows, [1, 2, 3, 4, 5, 6, 7], 'By tag table'),
  );
}

function change(candidate: number | null, baseline: number | null, greaterIsBetter: boolean | null): Child {
  if (candidate === null || baseline === null) return '—';
  const d = candidate - baseline;
  const rel = baseline !== 0 ? ` (${d >= 0 ? '+' : '−'}${Math.abs((d / baseline) * 100).toFixed(1)}%)` : '';
  const text = `${d > 0 ? '+' : d < 0 ? '−' : '±'}${fmtNumber(Math.abs(d))}${rel}`;
  if (greaterIsBetter === null || d === 0) return text;
  return h('span', d > 0 === greaterIsBetter ? 'tb-pass' : 'tb-fail', text);
}

export function renderPerf(report: TestReport): HTMLElement {
  const parts: Child[] = [];
  const metrics: readonly MetricPair[] = report.comparison.metrics;
  if (metrics.length) {
    parts.push(
      h('h3', null, 'Metrics'),
      table(
        ['Metric', 'Baseline', 'Candidate', 'Change', 'Better when'],
        metrics.map((m) => [mono(m.name), fmtNumber(m.baseline), fmtNumber(m.candidate), change(m.candidate, m.baseline, m.greaterIsBetter), m.greaterIsBetter ? 'higher' : 'lower']),
        [1, 2, 3],
        'Metrics table',
      ),
    );
  }
  const perfCases = report.comparison.cases.filter((c) => c.kind === 'perf');
  const rows: Child[][] = [];
  for (const c of perfCases) {
    for (const name of measureNames(c)) {
      rows.push([
        mono(c.caseId),
        mono(name),
        fmtNumber(c.baseline?.measures[name] ?? null),
        fmtNumber(c.candidate?.measures[name] ?? null),
        change(c.candidate?.measures[name] ?? null, c.baseline?.measures[name] ?? null, betterWhen(name)),
      ]);
    }
  }
  if (rows.length) {
    parts.push(h('h3', null, 'Perf cases'), table(['Case', 'Measure', 'Baseline', 'Candidate', 'Change'], rows.slice(0, TABLE_CAP), [2, 3, 4], 'Perf cases table'));
    if (rows.length > TABLE_CAP) parts.push(h('p', 'tb-muted', `First ${fmtInt(TABLE_CAP)} of ${fmtInt(rows.length)} measures shown.`));
  }
  if (!parts.length) parts.push(h('p', 'tb-empty', 'No perf metrics or perf cases in this report.'));
  return section('perf', 'Performance', ...parts);
}

function measureNames(c: CaseComparison): string[] {
  return [...new Set([...Object.keys(c.baseline?.measures ?? {}), ...Object.keys(c.candidate?.measures ?? {})])].sort();
}

/** Colour a perf measure's change only when its name says which way is better. */
function betterWhen(name: string): boolean | null {
  if (/per_?s(ec(ond)?)?$|throughput/i.test(name)) return true;
  if (/(_|^)(ms|latency|seconds|s)(_|$)|latency|memory|bytes/i.test(name)) return false;
  return null;
}

function json(v: unknown, label: string): Child {
  if (v !== null && typeof v === 'object') return scrollArea(h('pre', 'tb-text tb-json', JSON.stringify(v, null, 2)), label);
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

function digest(d: string | null): Child {
  return d ? mono(d, 'tb-digest') : h('span', 'tb-muted', 'not recorded');
}

export function renderProvenance(report: TestReport): HTMLElement {
  const { provenance: p, suite, testRun, policy } = report;
  const parts: Child[] = [];
  const models = [...report.models].sort((a, b) => (a.role === b.role ? 0 : a.role === 'candidate' ? -1 : 1));
  for (const m of models) {
    const files = m.files.slice(0, TABLE_CAP).map((f) => [mono(f.path), h('span', null, fmtBytes(f.size)), mono(f.sha256, 'tb-digest')]);
    const block = h(
      'div',
      'tb-model',
      h('h3', null, badge(m.role, `role-${m.role}`), ' ', m.label),
      keyValues([
        ['Loader', m.loader],
        ['Path', mono(m.path)],
        ['Run', m.runId ? mono(m.runId) : '—'],
        ['Checkpoint', m.checkpoint ?? '—'],
        ['Root digest', digest(m.rootDigest)],
      ]),
      m.files.length ? table(['File', 'Size', 'sha256'], files, [1]) : h('p', 'tb-empty', 'No file digests recorded.'),
      m.files.length > TABLE_CAP ? h('p', 'tb-muted', `First ${fmtInt(TABLE_CAP)} of ${fmtInt(m.files.length)} files shown.`) : null,
    );
    block.dataset.role = m.role;
    parts.push(block);
  }
  parts.push(
    h('h3', null, 'Test run'),
    keyValues([
      ['Suite', `${suite.name}@${suite.version} (${fmtInt(suite.cases)} cases)`],
      ['Suite digest', digest(suite.digest)],
      ['Test run', mono(testRun.id)],
      ['Project', `${testRun.project.name} (base model ${testRun.project.baseModel})`],
      ['Host', testRun.host],
      ['Runner version', p.runnerVersion],
      ['Seed', String(p.seed)],
      ['Decoding', p.decoding],
      ['Started', fmtTime(testRun.createdAt)],
      ['Ended', fmtTime(testRun.endedAt)],
      ['Report format', `${report.format} v${report.version}`],
    ]),
    h('h3', null, 'Gate policy'),
    keyValues([
      ['Non-inferiority margin δ', fmtScore(policy.delta)],
      ['Confidence', fmtPercent(policy.confidence)],
      ['Minimum cases', fmtInt(policy.minCases)],
      ['Bootstrap', `${fmtInt(policy.bootstrapResamples)} resamples, seed ${policy.bootstrapSeed}`],
      ['Metric thresholds', Object.keys(policy.metrics).length ? json(policy.metrics, 'Metric thresholds') : '—'],
      ['Required suites', policy.requiredSuites.join(', ') || '—'],
      ['Pinned suite', policy.pinnedSuite ?? '—'],
    ]),
  );
  const env = Object.entries(p.environment);
  parts.push(h('h3', null, 'Environment'), env.length ? keyValues(env.map(([k, v]) => [k, v] as const)) : h('p', 'tb-empty', 'No environment recorded.'));
  const lineage = Object.entries(p.lineage);
  parts.push(h('h3', null, 'Lineage'), lineage.length ? keyValues(lineage.map(([k, v]) => [k, json(v, `Lineage ${k}`)] as const)) : h('p', 'tb-empty', 'No lineage recorded.'));
  parts.push(
    h('h3', null, 'Waivers'),
    report.waivers.length
      ? table(
          ['Case', 'Reason', 'Waived at'],
          report.waivers.map((w) => [mono(w.caseId), w.reason, fmtTime(w.at)]),
          [],
          'Waivers table',
        )
      : h('p', 'tb-empty', 'No waivers.'),
  );
  return section('provenance', 'Provenance', ...parts);
}
