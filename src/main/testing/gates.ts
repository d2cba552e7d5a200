// Compares a candidate model with a baseline on one suite, case by case, and decides the gates and
// the verdict. Pure and deterministic: same inputs, same JSON out, so anyone can recompute a
// report's verdict from its per-case records (design: shared/design/trust.md, "Gates").
//
// Rules:
// - Per case, `change`: 'missing' if either record is absent; 'regression' if the baseline passes
//   and the candidate fails; 'improvement' the reverse; else 'score-down' / 'score-up' if both
//   scores are numbers and differ by more than 1e-12; else 'same'. scoreDelta = candidate score -
//   baseline score (null where either is missing). `waived` is the waiver's reason (latest waiver
//   of the case wins) or null.
// - Case order: regressions (critical first, then scoreDelta ascending, then id), score-downs
//   (scoreDelta ascending), improvements, score-ups (biggest first), same, missing; ties by case id
//   (plain code-unit order, not locale order, so every machine sorts alike).
// - Gate critical-regressions: a critical case that regressed fails the gate unless waived.
// - Gate non-inferiority: over cases where both scores are numbers and the weight is > 0 (a weight-0
//   case adds nothing to a weighted mean, so it does not count towards minCases either): the
//   paired bootstrap of weighted mean(candidate) - weighted mean(baseline) with the policy's
//   resamples, seed and confidence. Under minCases such cases: inconclusive. Else pass when
//   lower >= -delta, fail when upper < -delta (the whole interval is worse than the margin),
//   otherwise inconclusive (the interval straddles the margin: more cases are needed).
// - Gate mcnemar: over cases where both pass values are booleans, b = baseline passes and candidate
//   fails, c = the reverse; exact McNemar; fails only when the candidate is worse (b > c) and
//   significantly so (p < alpha = 1 - confidence). Skipped with no pass/fail pairs.
// - Metrics (per model, over the suite's cases): score = weighted mean of scores; pass_rate =
//   fraction passing among cases with a pass value; perplexity = geometric mean of
//   measures.perplexity over perplexity cases; tokens_per_second, latency_p50_ms, latency_p95_ms =
//   mean of those measures over perf cases; peak_memory_mb = their max. A metric neither model has
//   is left out.
// - Gate metric:<name>, MLflow MetricThreshold semantics, direction from the policy's
//   greaterIsBetter: `threshold` fails when candidate < threshold (lower-is-better: candidate >
//   threshold); `minAbsoluteChange` fails when change < it, where change = candidate - baseline
//   (lower-is-better: baseline - candidate), i.e. the improvement the candidate must at least make
//   (a negative value allows that much worsening); `minRelativeChange` fails when change / |baseline|
//   < it, and is skipped (said in the summary) when the baseline is 0. Any failed check fails the
//   gate; else a check that lacks its value (candidate for threshold, both for changes) makes it
//   inconclusive; a metric with no bar set is skipped.
// - Verdict: FAIL if any gate fails; else INCONCLUSIVE if any gate is inconclusive or no case was
//   answered by both models; else PASS.
import type { CaseComparison, CaseRecord, Comparison, Gate, GatePolicy, MetricPair, MetricThreshold, SuiteCase, TagSummary, Verdict, Waiver } from '../../shared/domain/testing';
import { geometricMean, mcnemarExact, mean, pairedBootstrap } from './stats';

export interface CompareInput {
  cases: SuiteCase[];
  candidate: Map<string, CaseRecord>;
  baseline: Map<string, CaseRecord>;
  policy: GatePolicy;
  waivers: Waiver[];
}

type Change = CaseComparison['change'];

const SCORE_EPSILON = 1e-12;
const UNTAGGED = '(untagged)';
const NAMED_IN_SUMMARY = 10;

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const fmt = (x: number | null, digits = 4) => (x === null ? 'n/a' : Number(x.toFixed(digits)).toString());
const fmtP = (p: number) => (p >= 0.001 ? Number(p.toPrecision(3)).toString() : p.toExponential(2));

function changeOf(cand: CaseRecord | null, base: CaseRecord | null): { change: Change; scoreDelta: number | null } {
  if (!cand || !base) return { change: 'missing', scoreDelta: null };
  const scoreDelta = isNumber(cand.score) && isNumber(base.score) ? cand.score - base.score : null;
  if (base.pass === true && cand.pass === false) return { change: 'regression', scoreDelta };
  if (base.pass === false && cand.pass === true) return { change: 'improvement', scoreDelta };
  if (scoreDelta !== null && Math.abs(scoreDelta) > SCORE_EPSILON) return { change: scoreDelta < 0 ? 'score-down' : 'score-up', scoreDelta };
  return { change: 'same', scoreDelta };
}

const GROUP: Record<Change, number> = { regression: 0, 'score-down': 1, improvement: 2, 'score-up': 3, same: 4, missing: 5 };

/** Null deltas sort after numbers in both directions. */
function byDelta(a: number | null, b: number | null, ascending: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return ascending ? a - b : b - a;
}

function caseOrder(x: CaseComparison, y: CaseComparison): number {
  const g = GROUP[x.change] - GROUP[y.change];
  if (g !== 0) return g;
  let d = 0;
  if (x.change === 'regression') d = (y.critical ? 1 : 0) - (x.critical ? 1 : 0) || byDelta(x.scoreDelta, y.scoreDelta, true);
  else if (x.change === 'score-down') d = byDelta(x.scoreDelta, y.scoreDelta, true);
  else if (x.change === 'score-up') d = byDelta(x.scoreDelta, y.scoreDelta, false);
  return d || byId(x.caseId, y.caseId);
}

/** The latest waiver per case (ties: the reason that sorts first), so the choice never depends on input order. */
function waiverReasons(waivers: Waiver[]): Map<string, string> {
  const best = new Map<string, Waiver>();
  for (const w of waivers) {
    const prev = best.get(w.caseId);
    if (!prev || w.at > prev.at || (w.at === prev.at && byId(w.reason, prev.reason) < 0)) best.set(w.caseId, w);
  }
  return new Map([...best].map(([id, w]) => [id, w.reason]));
}

function criticalGate(rows: CaseComparison[]): Gate {
  const regressed = rows.filter((r) => r.critical && r.change === 'regression');
  const unwaived = regressed.filter((r) => r.waived === null).map((r) => r.caseId);
  const waived = regressed.length - unwaived.length;
  const numbers = { criticalCases: rows.filter((r) => r.critical).length, regressions: regressed.length, unwaived: unwaived.length, waived };
  const title = 'Critical regressions';
  if (unwaived.length > 0) {
    const named = unwaived.slice(0, NAMED_IN_SUMMARY).join(', ') + (unwaived.length > NAMED_IN_SUMMARY ? ` and ${unwaived.length - NAMED_IN_SUMMARY} more` : '');
    return { id: 'critical-regressions', title, outcome: 'fail', numbers, summary: `${unwaived.length} critical case(s) pass on the baseline and fail on the candidate without a waiver: ${named}.` };
  }
  const summary = waived > 0 ? `All ${waived} critical regression(s) are waived.` : `No critical case regressed (${numbers.criticalCases} critical case(s)).`;
  return { id: 'critical-regressions', title, outcome: 'pass', numbers, summary };
}

function nonInferiorityGate(rows: CaseComparison[], policy: GatePolicy): Gate {
  const cand: number[] = [];
  const base: number[] = [];
  const weights: number[] = [];
  for (const r of rows) {
    if (r.weight > 0 && isNumber(r.candidate?.score) && isNumber(r.baseline?.score)) {
      cand.push(r.candidate.score);
      base.push(r.baseline.score);
      weights.push(r.weight);
    }
  }
  const n = cand.length;
  const { delta, confidence } = policy;
  const title = `Non-inferiority of the score (margin ${delta})`;
  if (n < policy.minCases) {
    return {
      id: 'non-inferiority',
      title,
      outcome: 'inconclusive',
      summary: `Only ${n} case(s) have a score from both models; ${policy.minCases} are needed to decide.`,
      numbers: { estimate: null, lower: null, upper: null, delta, n, minCases: policy.minCases, confidence, candidateMean: null, baselineMean: null },
    };
  }
  const boot = pairedBootstrap(cand, base, weights, { resamples: policy.bootstrapResamples, seed: policy.bootstrapSeed, confidence });
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  const candidateMean = cand.reduce((s, x, i) => s + x * weights[i]!, 0) / totalWeight;
  const baselineMean = base.reduce((s, x, i) => s + x * weights[i]!, 0) / totalWeight;
  const interval = `${Math.round(confidence * 100)}% interval of candidate - baseline [${fmt(boot.lower)}, ${fmt(boot.upper)}] (estimate ${fmt(boot.estimate)}, n=${n})`;
  const numbers = { estimate: boot.estimate, lower: boot.lower, upper: boot.upper, delta, n, minCases: policy.minCases, confidence, candidateMean, baselineMean };
  if (boot.lower >= -delta) return { id: 'non-inferiority', title, outcome: 'pass', numbers, summary: `The ${interval} lies above -${delta}.` };
  if (boot.upper < -delta) return { id: 'non-inferiority', title, outcome: 'fail', numbers, summary: `The ${interval} lies entirely below -${delta}: the candidate is worse than the margin allows.` };
  return { id: 'non-inferiority', title, outcome: 'inconclusive', numbers, summary: `The ${interval} straddles -${delta}: more cases are needed to tell.` };
}

function mcnemarGate(rows: CaseComparison[], policy: GatePolicy): Gate {
  let b = 0;
  let c = 0;
  let n = 0;
  for (const r of rows) {
    const cp = r.candidate?.pass;
    const bp = r.baseline?.pass;
    if (typeof cp !== 'boolean' || typeof bp !== 'boolean') continue;
    n++;
    if (bp && !cp) b++;
    else if (cp && !bp) c++;
  }
  const alpha = 1 - policy.confidence;
  const title = 'McNemar exact test on pass/fail';
  if (n === 0) return { id: 'mcnemar', title, outcome: 'skipped', summary: 'No case has a pass/fail from both models.', numbers: { b, c, n, pValue: null, alpha } };
  const { pValue } = mcnemarExact(b, c);
  const numbers = { b, c, n, pValue, alpha };
  const counts = `${b} case(s) pass only on the baseline, ${c} only on the candidate (of ${n} paired)`;
  if (b > c && pValue < alpha) return { id: 'mcnemar', title, outcome: 'fail', numbers, summary: `Significantly worse: ${counts}, p=${fmtP(pValue)} < alpha ${fmt(alpha)}.` };
  return { id: 'mcnemar', title, outcome: 'pass', numbers, summary: `Not significantly worse: ${counts}, p=${fmtP(pValue)}.` };
}

const METRICS: { name: string; greaterIsBetter: boolean; of: (recs: { rec: CaseRecord; c: SuiteCase }[]) => number | null }[] = [
  {
    name: 'score',
    greaterIsBetter: true,
    of: (recs) => {
      let sw = 0;
      let sx = 0;
      for (const { rec, c } of recs)
        if (isNumber(rec.score) && c.weight > 0) {
          sw += c.weight;
          sx += c.weight * rec.score;
        }
      return sw > 0 ? sx / sw : null;
    },
  },
  {
    name: 'pass_rate',
    greaterIsBetter: true,
    of: (recs) => {
      const known = recs.filter(({ rec }) => typeof rec.pass === 'boolean');
      return known.length ? known.filter(({ rec }) => rec.pass).length / known.length : null;
    },
  },
  { name: 'perplexity', greaterIsBetter: false, of: (recs) => geometricMean(measure(recs, 'perplexity', 'perplexity').filter((x) => x > 0)) },
  { name: 'tokens_per_second', greaterIsBetter: true, of: (recs) => mean(measure(recs, 'perf', 'tokens_per_second')) },
  { name: 'latency_p50_ms', greaterIsBetter: false, of: (recs) => mean(measure(recs, 'perf', 'latency_p50_ms')) },
  { name: 'latency_p95_ms', greaterIsBetter: false, of: (recs) => mean(measure(recs, 'perf', 'latency_p95_ms')) },
  { name: 'peak_memory_mb', greaterIsBetter: false, of: (recs) => measure(recs, 'perf', 'peak_memory_mb').reduce<number | null>((m, x) => (m === null || x > m ? x : m), null) },
];

function measure(recs: { rec: CaseRecord; c: SuiteCase }[], kind: SuiteCase['kind'], key: string): number[] {
  const out: number[] = [];
  for (const { rec, c } of recs) if (c.kind === kind && isNumber(rec.measures[key])) out.push(rec.measures[key]);
  return out;
}

function computeMetrics(cases: SuiteCase[], candidate: Map<string, CaseRecord>, baseline: Map<string, CaseRecord>): MetricPair[] {
  const recsOf = (m: Map<string, CaseRecord>) =>
    cases.flatMap((c) => {
      const rec = m.get(c.id);
      return rec ? [{ rec, c }] : [];
    });
  const cand = recsOf(candidate);
  const base = recsOf(baseline);
  return METRICS.map((m) => ({ name: m.name, candidate: m.of(cand), baseline: m.of(base), greaterIsBetter: m.greaterIsBetter })).filter((p) => p.candidate !== null || p.baseline !== null);
}

function metricGate(name: string, bar: MetricThreshold, pair: MetricPair | undefined): Gate {
  const cand = pair?.candidate ?? null;
  const base = pair?.baseline ?? null;
  const gib = bar.greaterIsBetter;
  const failed: string[] = [];
  const undecided: string[] = [];
  const notes: string[] = [];
  const change = cand !== null && base !== null ? (gib ? cand - base : base - cand) : null;
  let relativeChange: number | null = null;
  if (bar.threshold !== null) {
    if (cand === null) undecided.push('no candidate value for the threshold');
    else if (gib ? cand < bar.threshold : cand > bar.threshold) failed.push(`${fmt(cand)} ${gib ? '<' : '>'} threshold ${bar.threshold}`);
  }
  if (bar.minAbsoluteChange !== null) {
    if (change === null) undecided.push('a value is missing for the absolute change');
    else if (change < bar.minAbsoluteChange) failed.push(`change ${fmt(change)} < min absolute change ${bar.minAbsoluteChange}`);
  }
  if (bar.minRelativeChange !== null) {
    if (change === null || base === null) undecided.push('a value is missing for the relative change');
    else if (base === 0) notes.push('relative change not checked: the baseline is 0');
    else {
      relativeChange = change / Math.abs(base);
      if (relativeChange < bar.minRelativeChange) failed.push(`relative change ${fmt(relativeChange)} < min relative change ${bar.minRelativeChange}`);
    }
  }
  const numbers = {
    candidate: cand,
    baseline: base,
    threshold: bar.threshold,
    minAbsoluteChange: bar.minAbsoluteChange,
    minRelativeChange: bar.minRelativeChange,
    change,
    relativeChange,
    greaterIsBetter: gib ? 'yes' : 'no',
  };
  const title = `Metric ${name} (${gib ? 'higher' : 'lower'} is better)`;
  const values = `candidate ${fmt(cand)}, baseline ${fmt(base)}`;
  const tail = notes.length ? `; ${notes.join('; ')}` : '';
  const id = `metric:${name}`;
  if (bar.threshold === null && bar.minAbsoluteChange === null && bar.minRelativeChange === null) return { id, title, outcome: 'skipped', numbers, summary: `No bar set for ${name} (${values}).` };
  if (failed.length) return { id, title, outcome: 'fail', numbers, summary: `${name}: ${failed.join('; ')} (${values})${tail}.` };
  if (undecided.length) return { id, title, outcome: 'inconclusive', numbers, summary: `${name} cannot be checked: ${undecided.join('; ')} (${values})${tail}.` };
  return { id, title, outcome: 'pass', numbers, summary: `${name} clears its bar (${values})${tail}.` };
}

function tagSummaries(rows: CaseComparison[]): TagSummary[] {
  const byTag = new Map<string, CaseComparison[]>();
  for (const r of rows) {
    const tags = r.tags.length ? [...new Set(r.tags)] : [UNTAGGED];
    for (const t of tags) {
      const list = byTag.get(t);
      if (list) list.push(r);
      else byTag.set(t, [r]);
    }
  }
  const passRate = (recs: (CaseRecord | null)[]) => {
    const known = recs.filter((x): x is CaseRecord => typeof x?.pass === 'boolean');
    return known.length ? known.filter((x) => x.pass).length / known.length : null;
  };
  const score = (list: CaseComparison[], pick: (r: CaseComparison) => CaseRecord | null) => {
    let sw = 0;
    let sx = 0;
    for (const r of list) {
      const s = pick(r)?.score;
      if (isNumber(s) && r.weight > 0) {
        sw += r.weight;
        sx += r.weight * s;
      }
    }
    return sw > 0 ? sx / sw : null;
  };
  return [...byTag.keys()].sort(byId).map((tag) => {
    const list = byTag.get(tag)!;
    return {
      tag,
      cases: list.length,
      candidatePassRate: passRate(list.map((r) => r.candidate)),
      baselinePassRate: passRate(list.map((r) => r.baseline)),
      candidateScore: score(list, (r) => r.candidate),
      baselineScore: score(list, (r) => r.baseline),
      regressions: list.filter((r) => r.change === 'regression').length,
      improvements: list.filter((r) => r.change === 'improvement').length,
    };
  });
}

function decide(gates: Gate[], answered: number): { verdict: Verdict; reason: string } {
  const line = (gs: Gate[]) => gs.map((g) => `${g.id}: ${g.summary.replace(/\.$/, '')}`).join('; ');
  const failed = gates.filter((g) => g.outcome === 'fail');
  if (failed.length) return { verdict: 'FAIL', reason: `FAIL on ${line(failed)}.` };
  if (answered === 0) return { verdict: 'INCONCLUSIVE', reason: 'INCONCLUSIVE: no case was answered by both models.' };
  const open = gates.filter((g) => g.outcome === 'inconclusive');
  if (open.length) return { verdict: 'INCONCLUSIVE', reason: `INCONCLUSIVE on ${line(open)}.` };
  const decided = gates.filter((g) => g.outcome === 'pass');
  return { verdict: 'PASS', reason: decided.length ? `PASS on ${line(decided)}.` : 'PASS: no gate had anything to check.' };
}

/** Compares candidate and baseline records over the suite's cases; see the rules at the top. */
export function compareModels(input: CompareInput): Comparison {
  const { cases, candidate, baseline, policy } = input;
  const reasons = waiverReasons(input.waivers);
  const rows: CaseComparison[] = cases.map((c) => {
    const cand = candidate.get(c.id) ?? null;
    const base = baseline.get(c.id) ?? null;
    return {
      caseId: c.id,
      kind: c.kind,
      tags: c.tags,
      critical: c.critical,
      weight: c.weight,
      input: c.input,
      expect: c.expect,
      candidate: cand,
      baseline: base,
      ...changeOf(cand, base),
      waived: reasons.get(c.id) ?? null,
    };
  });

  const metrics = computeMetrics(cases, candidate, baseline);
  const metricByName = new Map(metrics.map((m) => [m.name, m]));
  const gates: Gate[] = [
    criticalGate(rows),
    nonInferiorityGate(rows, policy), // suite order, so the bootstrap draws line up with the suite file
    mcnemarGate(rows, policy),
    ...Object.keys(policy.metrics)
      .sort(byId)
      .map((name) => metricGate(name, policy.metrics[name]!, metricByName.get(name))),
  ];

  const counts = {
    cases: cases.length,
    answered: rows.filter((r) => r.candidate && r.baseline).length,
    regressions: rows.filter((r) => r.change === 'regression').length,
    improvements: rows.filter((r) => r.change === 'improvement').length,
    waived: rows.filter((r) => r.change === 'regression' && r.waived !== null).length,
  };
  const tags = tagSummaries(rows);
  const ordered = [...rows].sort(caseOrder);
  return { ...decide(gates, counts.answered), gates, cases: ordered, tags, metrics, counts };
}
