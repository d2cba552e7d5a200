// The comparison and its gates, read as a specification: properties over random suites from a
// seeded generator (identical models never fail, swapping the models mirrors every number, case
// order), then hand-built cases for critical regressions and waivers, a clearly worse candidate,
// MLflow-style metric bars, too few cases, determinism and speed.
import { describe, expect, it } from 'vitest';
import { compareModels, type CompareInput } from '../../src/main/testing/gates';
import { mulberry32 } from '../../src/main/testing/stats';
import { DEFAULT_POLICY, type CaseRecord, type Comparison, type Gate, type GatePolicy, type MetricThreshold, type ModelRole, type SuiteCase } from '../../src/shared/domain/testing';

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

function suiteCase(id: string, over: Partial<SuiteCase> = {}): SuiteCase {
  return {
    id,
    kind: 'exact',
    input: `question ${id}`,
    expect: ['answer'],
    match: 'any',
    ignoreCase: false,
    flags: '',
    schema: null,
    options: [],
    maxPerplexity: null,
    perf: { repeats: 1, minTokensPerSecond: null, maxLatencyMs: null },
    tags: [],
    critical: false,
    weight: 1,
    maxNewTokens: 32,
    stop: [],
    line: 0,
    ...over,
  };
}

function record(model: ModelRole, caseId: string, pass: boolean | null, score: number | null, measures: Record<string, number> = {}): CaseRecord {
  return { model, caseId, output: 'out', pass, score, detail: '', error: null, tokens: 5, ms: 12, measures };
}

const passFail = (model: ModelRole, id: string, pass: boolean) => record(model, id, pass, pass ? 1 : 0);

/** A random suite and the records one model gives it (a case left out now and then). */
function randomSuite(rand: Rand, size: number): SuiteCase[] {
  return Array.from({ length: size }, (_, i) => {
    const kind = pick(rand, ['exact', 'exact', 'exact', 'contains', 'perplexity', 'perf'] as const);
    const tags = ['math', 'code', 'safety'].filter(() => rand() < 0.3);
    return suiteCase(`case-${String(i).padStart(4, '0')}`, { kind, tags, critical: rand() < 0.1, weight: pick(rand, [1, 1, 1, 2, 0.5]) });
  });
}

function randomRecords(rand: Rand, model: ModelRole, cases: SuiteCase[], passRate: number, missing = 0.03): Map<string, CaseRecord> {
  const out = new Map<string, CaseRecord>();
  for (const c of cases) {
    if (rand() < missing) continue;
    if (c.kind === 'perplexity') {
      const ppl = 1 + rand() * 9;
      out.set(c.id, record(model, c.id, rand() < 0.5 ? null : ppl < 6, 1 / ppl, { perplexity: ppl }));
    } else if (c.kind === 'perf') {
      out.set(
        c.id,
        record(model, c.id, null, null, { tokens_per_second: 20 + rand() * 80, latency_p50_ms: 50 + rand() * 50, latency_p95_ms: 100 + rand() * 100, peak_memory_mb: 1000 + rand() * 500 }),
      );
    } else {
      out.set(c.id, passFail(model, c.id, rand() < passRate));
    }
  }
  return out;
}

/** The same records, relabelled as the other model's (a twin of `from`). */
const relabel = (from: Map<string, CaseRecord>, model: ModelRole) => new Map([...from].map(([id, r]) => [id, { ...r, model }]));

const policy = (over: Partial<GatePolicy> = {}): GatePolicy => ({ ...DEFAULT_POLICY, ...over });
const gate = (cmp: Comparison, id: string): Gate => {
  const g = cmp.gates.find((x) => x.id === id);
  if (!g) throw new Error(`no gate ${id}`);
  return g;
};
const num = (g: Gate, key: string) => g.numbers[key] as number;

describe('compareModels: properties over random suites', () => {
  it('never fails identical models: PASS, or INCONCLUSIVE exactly when under minCases', () => {
    const rand = mulberry32(101);
    for (let trial = 0; trial < 40; trial++) {
      const cases = randomSuite(rand, 5 + Math.floor(rand() * 80));
      const base = randomRecords(rand, 'baseline', cases, 0.3 + rand() * 0.6, 0);
      const cand = relabel(base, 'candidate');
      const minCases = 1 + Math.floor(rand() * 60);
      const bars: Record<string, MetricThreshold> = { score: { threshold: null, minAbsoluteChange: 0, minRelativeChange: 0, greaterIsBetter: true } };
      const cmp = compareModels({ cases, candidate: cand, baseline: base, policy: policy({ minCases, bootstrapResamples: 200, metrics: bars }), waivers: [] });
      const scored = cases.filter((c) => c.weight > 0 && base.get(c.id)?.score !== null).length;
      expect(cmp.verdict).toBe(scored >= minCases ? 'PASS' : 'INCONCLUSIVE');
      expect(cmp.counts.regressions + cmp.counts.improvements).toBe(0);
      expect(cmp.cases.every((r) => r.change === 'same')).toBe(true);
      if (scored >= minCases) expect([num(gate(cmp, 'non-inferiority'), 'lower'), num(gate(cmp, 'non-inferiority'), 'upper')]).toEqual([0, 0]);
    }
  });

  it('mirrors every number when candidate and baseline swap', () => {
    const rand = mulberry32(202);
    for (let trial = 0; trial < 30; trial++) {
      const cases = randomSuite(rand, 20 + Math.floor(rand() * 100));
      const a = randomRecords(rand, 'candidate', cases, 0.4 + rand() * 0.5);
      const b = randomRecords(rand, 'baseline', cases, 0.4 + rand() * 0.5);
      const p = policy({ minCases: 1, bootstrapResamples: 300, bootstrapSeed: trial });
      const ab = compareModels({ cases, candidate: a, baseline: b, policy: p, waivers: [] });
      const ba = compareModels({ cases, candidate: relabel(b, 'candidate'), baseline: relabel(a, 'baseline'), policy: p, waivers: [] });

      const ni = gate(ab, 'non-inferiority');
      const niSwapped = gate(ba, 'non-inferiority');
      expect(Math.abs(num(niSwapped, 'estimate') + num(ni, 'estimate'))).toBeLessThan(1e-12);
      expect(Math.abs(num(niSwapped, 'lower') + num(ni, 'upper'))).toBeLessThan(1e-12);
      expect(Math.abs(num(niSwapped, 'upper') + num(ni, 'lower'))).toBeLessThan(1e-12);
      expect(num(niSwapped, 'candidateMean')).toBe(num(ni, 'baselineMean'));

      const mc = gate(ab, 'mcnemar');
      const mcSwapped = gate(ba, 'mcnemar');
      expect([mcSwapped.numbers.b, mcSwapped.numbers.c, mcSwapped.numbers.n]).toEqual([mc.numbers.c, mc.numbers.b, mc.numbers.n]);
      expect(mcSwapped.numbers.pValue).toBe(mc.numbers.pValue);
      expect(mc.numbers.b).toBe(ab.counts.regressions);

      expect([ba.counts.regressions, ba.counts.improvements]).toEqual([ab.counts.improvements, ab.counts.regressions]);
      expect(ba.tags.map((t) => [t.tag, t.regressions, t.improvements, t.candidateScore])).toEqual(ab.tags.map((t) => [t.tag, t.improvements, t.regressions, t.baselineScore]));
      expect(ba.metrics.map((m) => [m.name, m.candidate, m.baseline])).toEqual(ab.metrics.map((m) => [m.name, m.baseline, m.candidate]));
    }
  });

  it('orders cases: regressions (critical first, biggest drop first), score-downs, improvements, score-ups, same, missing', () => {
    const rand = mulberry32(303);
    const rank = { regression: 0, 'score-down': 1, improvement: 2, 'score-up': 3, same: 4, missing: 5 } as const;
    for (let trial = 0; trial < 20; trial++) {
      const cases = randomSuite(rand, 150);
      const cmp = compareModels({
        cases,
        candidate: randomRecords(rand, 'candidate', cases, 0.6, 0.05),
        baseline: randomRecords(rand, 'baseline', cases, 0.6, 0.05),
        policy: policy({ bootstrapResamples: 100 }),
        waivers: [],
      });
      expect(cmp.cases).toHaveLength(cases.length);
      for (let i = 1; i < cmp.cases.length; i++) {
        const x = cmp.cases[i - 1]!;
        const y = cmp.cases[i]!;
        expect(rank[x.change]).toBeLessThanOrEqual(rank[y.change]);
        if (x.change !== y.change) continue;
        if (x.change === 'regression') expect(x.critical || !y.critical).toBe(true);
        if (x.change === 'score-down' && y.scoreDelta !== null) expect(x.scoreDelta!).toBeLessThanOrEqual(y.scoreDelta);
        if (x.change === 'score-up' && y.scoreDelta !== null) expect(x.scoreDelta!).toBeGreaterThanOrEqual(y.scoreDelta);
        if (['improvement', 'same', 'missing'].includes(x.change)) expect(x.caseId < y.caseId).toBe(true);
      }
      if (cmp.counts.regressions > 0) expect(cmp.cases[0]!.change).toBe('regression');
    }
  });
});

describe('compareModels: the gates', () => {
  /** 40 cases both models pass, then the changes asked for. */
  function twins(n = 40) {
    const cases = Array.from({ length: n }, (_, i) => suiteCase(`c${String(i).padStart(2, '0')}`));
    const candidate = new Map(cases.map((c) => [c.id, passFail('candidate', c.id, true)]));
    const baseline = new Map(cases.map((c) => [c.id, passFail('baseline', c.id, true)]));
    return { cases, candidate, baseline };
  }

  it('fails on a critical regression until it is waived', () => {
    const t = twins();
    t.cases[7] = { ...t.cases[7]!, critical: true };
    t.candidate.set('c07', passFail('candidate', 'c07', false));
    const input: CompareInput = { ...t, policy: policy({ delta: 0.1 }), waivers: [] };
    const blocked = compareModels(input);
    expect(blocked.verdict).toBe('FAIL');
    expect(gate(blocked, 'critical-regressions')).toMatchObject({ outcome: 'fail', numbers: { regressions: 1, unwaived: 1, waived: 0 } });
    expect(gate(blocked, 'critical-regressions').summary).toContain('c07');
    expect(blocked.reason).toContain('critical-regressions');
    expect(blocked.cases[0]).toMatchObject({ caseId: 'c07', change: 'regression', scoreDelta: -1, waived: null });

    const waived = compareModels({ ...input, waivers: [{ caseId: 'c07', reason: 'flaky grader, tracked in #12', at: 1 }] });
    expect(gate(waived, 'critical-regressions')).toMatchObject({ outcome: 'pass', numbers: { unwaived: 0, waived: 1 } });
    expect(waived.cases[0]!.waived).toBe('flaky grader, tracked in #12');
    expect(waived.counts.waived).toBe(1);
    expect(waived.verdict).toBe('PASS');
    // A waiver for another case does not help.
    expect(compareModels({ ...input, waivers: [{ caseId: 'c08', reason: 'x', at: 1 }] }).verdict).toBe('FAIL');
  });

  it('fails a clearly worse candidate on non-inferiority and McNemar', () => {
    const t = twins(60);
    for (let i = 0; i < 30; i++) t.candidate.set(t.cases[i * 2]!.id, passFail('candidate', t.cases[i * 2]!.id, false));
    const cmp = compareModels({ ...t, policy: policy(), waivers: [] });
    expect(cmp.verdict).toBe('FAIL');
    const ni = gate(cmp, 'non-inferiority');
    expect(ni.outcome).toBe('fail');
    expect(num(ni, 'estimate')).toBeCloseTo(-0.5, 12);
    expect(num(ni, 'upper')).toBeLessThan(-0.02);
    const mc = gate(cmp, 'mcnemar');
    expect(mc).toMatchObject({ outcome: 'fail', numbers: { b: 30, c: 0, n: 60 } });
    expect(num(mc, 'pValue')).toBeCloseTo(2 / 2 ** 30, 20); // 2 * P(X <= 0), X ~ Bin(30, 1/2)
    expect(cmp.reason).toMatch(/non-inferiority.*mcnemar/);
    expect(cmp.counts).toEqual({ cases: 60, answered: 60, regressions: 30, improvements: 0, waived: 0 });

    // The same table the other way round is a significantly better candidate: nothing fails.
    const better = compareModels({ cases: t.cases, candidate: relabel(t.baseline, 'candidate'), baseline: relabel(t.candidate, 'baseline'), policy: policy(), waivers: [] });
    expect(gate(better, 'mcnemar')).toMatchObject({ outcome: 'pass', numbers: { b: 0, c: 30 } });
    expect(gate(better, 'non-inferiority').outcome).toBe('pass');
    expect(better.verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE under minCases, or when no case was answered by both', () => {
    const t = twins(10);
    const few = compareModels({ ...t, policy: policy({ minCases: 20 }), waivers: [] });
    expect(few.verdict).toBe('INCONCLUSIVE');
    expect(gate(few, 'non-inferiority')).toMatchObject({ outcome: 'inconclusive', numbers: { n: 10, minCases: 20 } });
    expect(gate(few, 'non-inferiority').summary).toMatch(/10 .*20/);
    const none = compareModels({ cases: t.cases, candidate: new Map(), baseline: t.baseline, policy: policy({ minCases: 1 }), waivers: [] });
    expect(none.verdict).toBe('INCONCLUSIVE');
    expect(none.counts.answered).toBe(0);
    expect(none.cases.every((c) => c.change === 'missing')).toBe(true);
    expect(gate(none, 'mcnemar').outcome).toBe('skipped');
  });

  it('summarizes tags, with untagged cases under "(untagged)"', () => {
    const cases = [suiteCase('a', { tags: ['math'] }), suiteCase('b', { tags: ['math', 'code'], weight: 3 }), suiteCase('c')];
    const candidate = new Map([
      ['a', passFail('candidate', 'a', false)],
      ['b', passFail('candidate', 'b', true)],
      ['c', passFail('candidate', 'c', true)],
    ]);
    const baseline = new Map([
      ['a', passFail('baseline', 'a', true)],
      ['b', passFail('baseline', 'b', false)],
      ['c', passFail('baseline', 'c', true)],
    ]);
    const cmp = compareModels({ cases, candidate, baseline, policy: policy({ minCases: 1, bootstrapResamples: 100 }), waivers: [] });
    expect(cmp.tags).toEqual([
      { tag: '(untagged)', cases: 1, candidatePassRate: 1, baselinePassRate: 1, candidateScore: 1, baselineScore: 1, regressions: 0, improvements: 0 },
      { tag: 'code', cases: 1, candidatePassRate: 1, baselinePassRate: 0, candidateScore: 1, baselineScore: 0, regressions: 0, improvements: 1 },
      { tag: 'math', cases: 2, candidatePassRate: 0.5, baselinePassRate: 0.5, candidateScore: 0.75, baselineScore: 0.25, regressions: 1, improvements: 1 },
    ]);
    expect(cmp.cases.map((c) => [c.caseId, c.change])).toEqual([
      ['a', 'regression'],
      ['b', 'improvement'],
      ['c', 'same'],
    ]);
  });
});

describe('compareModels: metrics and metric gates (MLflow MetricThreshold)', () => {
  // 10 pass/fail cases: candidate passes 8 (score 0.8), baseline 7 (0.7). Two perf cases: candidate
  // latency_p95 80 and 100 (mean 90), baseline 100 and 100. Two perplexity cases: 2 and 8 (geometric
  // mean 4) for the candidate, 4 and 4 for the baseline.
  const cases = [
    ...Array.from({ length: 10 }, (_, i) => suiteCase(`q${i}`)),
    suiteCase('perf1', { kind: 'perf' }),
    suiteCase('perf2', { kind: 'perf' }),
    suiteCase('ppl1', { kind: 'perplexity' }),
    suiteCase('ppl2', { kind: 'perplexity' }),
  ];
  const candidate = new Map<string, CaseRecord>([
    ...Array.from({ length: 10 }, (_, i) => [`q${i}`, passFail('candidate', `q${i}`, i < 8)] as const),
    ['perf1', record('candidate', 'perf1', null, null, { latency_p95_ms: 80, peak_memory_mb: 900, tokens_per_second: 50 })],
    ['perf2', record('candidate', 'perf2', null, null, { latency_p95_ms: 100, peak_memory_mb: 1200, tokens_per_second: 70 })],
    ['ppl1', record('candidate', 'ppl1', null, 0.5, { perplexity: 2 })],
    ['ppl2', record('candidate', 'ppl2', null, 0.125, { perplexity: 8 })],
  ]);
  const baseline = new Map<string, CaseRecord>([
    ...Array.from({ length: 10 }, (_, i) => [`q${i}`, passFail('baseline', `q${i}`, i < 7)] as const),
    ['perf1', record('baseline', 'perf1', null, null, { latency_p95_ms: 100 })],
    ['perf2', record('baseline', 'perf2', null, null, { latency_p95_ms: 100 })],
    ['ppl1', record('baseline', 'ppl1', null, 0.25, { perplexity: 4 })],
    ['ppl2', record('baseline', 'ppl2', null, 0.25, { perplexity: 4 })],
  ]);
  const bar = (over: Partial<MetricThreshold>): MetricThreshold => ({ threshold: null, minAbsoluteChange: null, minRelativeChange: null, greaterIsBetter: true, ...over });
  const run = (metrics: Record<string, MetricThreshold>, base = baseline) =>
    compareModels({ cases, candidate, baseline: base, policy: policy({ minCases: 1, bootstrapResamples: 100, metrics }), waivers: [] });
  const outcome = (name: string, t: MetricThreshold, base = baseline) => gate(run({ [name]: t }, base), `metric:${name}`).outcome;

  it('computes each metric per model and leaves out those neither has', () => {
    const m = Object.fromEntries(run({}).metrics.map((x) => [x.name, [x.candidate, x.baseline, x.greaterIsBetter]]));
    expect(m.pass_rate).toEqual([0.8, 0.7, true]);
    expect(m.perplexity![0]).toBeCloseTo(4, 12);
    expect(m.perplexity![1]).toBeCloseTo(4, 12);
    expect(m.perplexity![2]).toBe(false);
    expect(m.latency_p95_ms).toEqual([90, 100, false]);
    expect(m.peak_memory_mb).toEqual([1200, null, false]);
    expect(m.tokens_per_second).toEqual([60, null, true]);
    expect(m.latency_p50_ms).toBeUndefined();
    expect(Object.keys(m)).toEqual(['score', 'pass_rate', 'perplexity', 'tokens_per_second', 'latency_p95_ms', 'peak_memory_mb']);
  });

  it('greater is better: threshold, absolute and relative change', () => {
    expect(outcome('pass_rate', bar({ threshold: 0.75 }))).toBe('pass');
    expect(outcome('pass_rate', bar({ threshold: 0.85 }))).toBe('fail');
    expect(outcome('pass_rate', bar({ minAbsoluteChange: 0.05 }))).toBe('pass'); // 0.8 - 0.7 = 0.1
    expect(outcome('pass_rate', bar({ minAbsoluteChange: 0.2 }))).toBe('fail');
    expect(outcome('pass_rate', bar({ minRelativeChange: 0.1 }))).toBe('pass'); // 0.1 / 0.7 = 0.143
    expect(outcome('pass_rate', bar({ minRelativeChange: 0.2 }))).toBe('fail');
    expect(outcome('pass_rate', bar({ threshold: 0.75, minAbsoluteChange: 0.2 }))).toBe('fail'); // any failed check fails
  });

  it('lower is better: the comparisons turn round', () => {
    const lower = (over: Partial<MetricThreshold>) => bar({ greaterIsBetter: false, ...over });
    expect(outcome('latency_p95_ms', lower({ threshold: 95 }))).toBe('pass'); // 90 <= 95
    expect(outcome('latency_p95_ms', lower({ threshold: 85 }))).toBe('fail');
    expect(outcome('latency_p95_ms', lower({ minAbsoluteChange: 5 }))).toBe('pass'); // 100 - 90 = 10
    expect(outcome('latency_p95_ms', lower({ minAbsoluteChange: 15 }))).toBe('fail');
    expect(outcome('latency_p95_ms', lower({ minRelativeChange: 0.05 }))).toBe('pass'); // 10 / 100 = 0.1
    expect(outcome('latency_p95_ms', lower({ minRelativeChange: 0.2 }))).toBe('fail');
    // A negative minimum change allows that much worsening: 90 -> 100 is a change of -10.
    const slower = new Map([...baseline].map(([id, r]) => [id, id.startsWith('perf') ? { ...r, measures: { latency_p95_ms: 80 } } : r]));
    expect(outcome('latency_p95_ms', lower({ minAbsoluteChange: -20 }), slower)).toBe('pass');
    expect(outcome('latency_p95_ms', lower({ minAbsoluteChange: -5 }), slower)).toBe('fail');
    const g = gate(run({ latency_p95_ms: lower({ minAbsoluteChange: 15 }) }), 'metric:latency_p95_ms');
    expect(g.numbers).toMatchObject({ candidate: 90, baseline: 100, change: 10 });
  });

  it('skips the relative check on a zero baseline, is inconclusive on missing values, skipped without a bar', () => {
    const zero = new Map([...baseline].map(([id, r]) => [id, id.startsWith('q') ? passFail('baseline', id, false) : r]));
    const g = gate(run({ pass_rate: bar({ minRelativeChange: 0.5 }) }, zero), 'metric:pass_rate');
    expect(g.outcome).toBe('pass');
    expect(g.summary).toContain('baseline is 0');
    expect(outcome('tokens_per_second', bar({ threshold: 40 }))).toBe('pass'); // the baseline is not needed for a floor
    expect(outcome('tokens_per_second', bar({ minAbsoluteChange: 0 }))).toBe('inconclusive'); // ...but is for a change
    expect(outcome('accuracy', bar({ threshold: 0.5 }))).toBe('inconclusive');
    expect(outcome('pass_rate', bar({}))).toBe('skipped');
    const cmp = run({ pass_rate: bar({ threshold: 0.5 }), accuracy: bar({ threshold: 0.5 }) });
    expect(cmp.gates.map((x) => x.id)).toEqual(['critical-regressions', 'non-inferiority', 'mcnemar', 'metric:accuracy', 'metric:pass_rate']);
    expect(cmp.verdict).toBe('INCONCLUSIVE');
    expect(cmp.reason).toContain('metric:accuracy');
  });
});

describe('compareModels: determinism and speed', () => {
  it('gives JSON-identical output whatever the order of the maps and waivers', () => {
    const rand = mulberry32(404);
    const cases = randomSuite(rand, 300);
    const cand = randomRecords(rand, 'candidate', cases, 0.7);
    const base = randomRecords(rand, 'baseline', cases, 0.7);
    const waivers = cases.filter((c) => c.critical).map((c, i) => ({ caseId: c.id, reason: `reason ${i % 3}`, at: i % 2 }));
    const reversed = <K, V>(m: Map<K, V>) => new Map([...m].reverse());
    const one = compareModels({ cases, candidate: cand, baseline: base, policy: policy(), waivers });
    const two = compareModels({ cases, candidate: reversed(cand), baseline: reversed(base), policy: policy(), waivers: [...waivers].reverse() });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it('compares 10,000 cases in well under a second', () => {
    const rand = mulberry32(505);
    const cases = randomSuite(rand, 10_000);
    const cand = randomRecords(rand, 'candidate', cases, 0.7);
    const base = randomRecords(rand, 'baseline', cases, 0.72);
    const t0 = performance.now();
    const cmp = compareModels({
      cases,
      candidate: cand,
      baseline: base,
      policy: policy({ metrics: { latency_p95_ms: { threshold: 500, minAbsoluteChange: null, minRelativeChange: null, greaterIsBetter: false } } }),
      waivers: [],
    });
    const ms = performance.now() - t0;
    console.log(`compareModels 10,000 cases x 2 models (2,000 resamples): ${ms.toFixed(0)} ms, verdict ${cmp.verdict}`);
    expect(cmp.cases).toHaveLength(10_000);
    expect(ms).toBeLessThan(3000);
  });
});
