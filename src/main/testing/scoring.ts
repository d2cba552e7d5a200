// Scores what the runner recorded for a case (the output, log-likelihoods, timings) against what the
// suite expects. Done in the engine, not on the host, so one implementation scores every model and
// the records stay recomputable. A regex runs under a time limit: one that would backtrack for ever
// fails its case ("time limit") instead of holding the engine.
import vm from 'node:vm';
import type { ValidateFunction } from 'ajv';
import { ajvLib } from '../lazy';
import type { CaseRecord, ModelRole, SuiteCase } from '../../shared/domain/testing';

export const REGEX_TIME_LIMIT_MS = 50;

/** One "case" line of cases.jsonl as the runner writes it. */
export interface RawCaseLine {
  model: ModelRole;
  case: string;
  kind?: string;
  output?: unknown;
  tokens?: unknown;
  ms?: unknown;
  error?: unknown;
  measures?: unknown;
  input?: unknown;
  target?: unknown;
}

// Made on first use: a vm context made while the module loads would end up in the CLI's startup snapshot.
let regexVm: { script: vm.Script; context: vm.Context } | undefined;
const regexRunner = () => (regexVm ??= { script: new vm.Script('re.test(text)'), context: vm.createContext({ re: /x/, text: '' }) });
/** Patterns that ran out of time once are not run again: a suite of slow patterns costs one limit each. */
const slowPatterns = new Set<string>();
const compiled = new Map<string, RegExp>();

export function regexMatches(pattern: string, flags: string, text: string): { matched: boolean; timedOut: boolean } {
  const key = `${flags}/${pattern}`;
  if (slowPatterns.has(key)) return { matched: false, timedOut: true };
  let re = compiled.get(key);
  if (!re) {
    re = new RegExp(pattern, flags);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(key, re);
  }
  re.lastIndex = 0;
  const { script, context } = regexRunner();
  context.re = re;
  context.text = text;
  try {
    return { matched: script.runInContext(context, { timeout: REGEX_TIME_LIMIT_MS }) === true, timedOut: false };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
    slowPatterns.add(key);
    return { matched: false, timedOut: true };
  }
}

let ajvInstance: import('ajv').default | undefined;
const ajv = () => (ajvInstance ??= new (ajvLib().default)({ strict: false, allErrors: false }));
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = ajv().compile(schema as object);
    validators.set(key, v);
  }
  return v;
}

/** The JSON in an answer: the whole trimmed text, else the outermost {...} or [...] in it. */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; why: string } {
  const t = text.trim();
  const attempts = [t];
  const first = t.search(/[[{]/);
  if (first > 0) attempts.push(t.slice(first, Math.max(t.lastIndexOf('}'), t.lastIndexOf(']')) + 1));
  let why = 'empty output';
  for (const a of attempts) {
    if (!a) continue;
    try {
      return { ok: true, value: JSON.parse(a) };
    } catch (err) {
      why = (err as Error).message;
    }
  }
  return { ok: false, why };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const fold = (s: string, ignoreCase: boolean) => (ignoreCase ? s.toLowerCase() : s);
const show = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

function measuresOf(raw: unknown): Record<string, number> {
  // No prototype: a measure named '__proto__', 'constructor' or 'toString' is kept like any other.
  const out = Object.create(null) as Record<string, number>;
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) if (finite(v) && k.length <= 100) out[k] = v;
  return out;
}

/** The judge command ran on the host; its score and pass are in the measures. */
function judge(m: Record<string, number>): { pass: boolean | null; score: number | null; detail: string } {
  if (!finite(m.judge_score) && !finite(m.judge_pass)) return { pass: null, score: null, detail: 'the judge gave no score' };
  const score = finite(m.judge_score) ? Math.min(1, Math.max(0, m.judge_score)) : m.judge_pass! ? 1 : 0;
  const pass = finite(m.judge_pass) ? m.judge_pass !== 0 : score >= 0.5;
  return { pass, score, detail: `judge: score ${score.toFixed(3)}${pass ? ', pass' : ', fail'}` };
}

/** Pass, score and a sentence for one case answered by one model. */
export function scoreCase(c: SuiteCase, output: string, m: Record<string, number>): { pass: boolean | null; score: number | null; detail: string } {
  const bool = (pass: boolean, detail: string) => ({ pass, score: pass ? 1 : 0, detail });
  switch (c.kind) {
    case 'exact': {
      const pass = fold(output.trim(), c.ignoreCase) === fold(c.expect[0]!.trim(), c.ignoreCase);
      return bool(pass, pass ? 'the answer is exactly the expected one' : `expected exactly ${show(c.expect[0]!)}`);
    }
    case 'contains':
    case 'not-contains': {
      const hay = fold(output, c.ignoreCase);
      const found = c.expect.filter((e) => hay.includes(fold(e, c.ignoreCase)));
      if (c.kind === 'contains') {
        const pass = c.match === 'all' ? found.length === c.expect.length : found.length > 0;
        const missing = c.expect.filter((e) => !found.includes(e));
        return bool(pass, pass ? `contains ${found.map(show).join(', ')}` : `missing ${(c.match === 'all' ? missing : c.expect).map(show).join(c.match === 'all' ? ', ' : ' or ')}`);
      }
      // not-contains: with match "any" a single forbidden string fails; with "all" only all of them together.
      const pass = c.match === 'all' ? found.length < c.expect.length : found.length === 0;
      return bool(pass, pass ? 'none of the forbidden text' : `contains forbidden ${found.map(show).join(', ')}`);
    }
    case 'regex': {
      const flags = c.flags + (c.ignoreCase && !c.flags.includes('i') ? 'i' : '');
      const r = regexMatches(c.expect[0]!, flags, output);
      if (r.timedOut) return bool(false, `the regex ran past its ${REGEX_TIME_LIMIT_MS} ms time limit (it backtracks too much); rewrite it`);
      return bool(r.matched, r.matched ? `matches /${c.expect[0]}/` : `does not match /${c.expect[0]}/`);
    }
    case 'json': {
      const parsed = extractJson(output);
      if (!parsed.ok) return bool(false, `not JSON: ${parsed.why}`);
      if (c.schema === null || c.schema === undefined) return bool(true, 'valid JSON');
      const validate = validatorFor(c.schema);
      const pass = validate(parsed.value) === true;
      return bool(pass, pass ? 'valid JSON matching the schema' : `JSON does not match the schema: ${ajv().errorsText(validate.errors)}`);
    }
    case 'choice': {
      const chosen = finite(m.chosen) ? m.chosen : -1;
      const right = c.options.indexOf(c.expect[0]!);
      const pass = chosen === right;
      return bool(pass, pass ? `chose ${show(c.options[right]!)}` : `chose ${chosen >= 0 ? show(c.options[chosen] ?? '?') : 'nothing'}, expected ${show(c.expect[0]!)}`);
    }
    case 'perplexity': {
      if (!finite(m.nll) || !finite(m.tokens) || m.tokens <= 0) return { pass: c.maxPerplexity === null ? null : false, score: null, detail: 'no log-likelihood was recorded' };
      const ppl = Math.exp(m.nll / m.tokens);
      m.perplexity = ppl;
      // Without a bar: the per-token probability exp(-nll/tokens). With one: min(1, bar / perplexity),
      // so the score is 1 exactly when the case passes (as for the pass/fail kinds) and falls smoothly
      // past the bar; 1/perplexity alone is compressed near 0 and would hide a doubled perplexity.
      if (c.maxPerplexity === null) return { pass: null, score: Math.exp(-m.nll / m.tokens), detail: `perplexity ${ppl.toFixed(3)}` };
      const pass = ppl <= c.maxPerplexity;
      return { pass, score: Math.min(1, c.maxPerplexity / ppl), detail: `perplexity ${ppl.toFixed(3)} ${pass ? '<=' : '>'} ${c.maxPerplexity}` };
    }
    case 'perf': {
      const bars: string[] = [];
      let pass: boolean | null = null;
      if (c.perf.minTokensPerSecond !== null) {
        const ok = finite(m.tokens_per_second) && m.tokens_per_second >= c.perf.minTokensPerSecond;
        pass = ok && pass !== false;
        bars.push(`${(m.tokens_per_second ?? NaN).toFixed(1)} tokens/s ${ok ? '>=' : '<'} ${c.perf.minTokensPerSecond}`);
      }
      if (c.perf.maxLatencyMs !== null) {
        const ok = finite(m.latency_p95_ms) && m.latency_p95_ms <= c.perf.maxLatencyMs;
        pass = ok && pass !== false;
        bars.push(`p95 ${(m.latency_p95_ms ?? NaN).toFixed(1)} ms ${ok ? '<=' : '>'} ${c.perf.maxLatencyMs}`);
      }
      const figures = `${(m.tokens_per_second ?? NaN).toFixed(1)} tokens/s, p50 ${(m.latency_p50_ms ?? NaN).toFixed(1)} ms, p95 ${(m.latency_p95_ms ?? NaN).toFixed(1)} ms`;
      return { pass, score: pass === null ? null : pass ? 1 : 0, detail: bars.length ? bars.join('; ') : figures };
    }
    case 'judge':
      return judge(m);
    case 'harness': {
      // lm-evaluation-harness' own per-sample metric: acc, acc_norm, exact_match, ... (the first present).
      const key = ['acc', 'exact_match', 'acc_norm', 'em', 'f1', 'bleu'].find((k) => finite(m[k])) ?? Object.keys(m).find((k) => k !== 'tokens');
      if (!key) return { pass: null, score: null, detail: 'the harness gave no metric for this sample' };
      const score = Math.min(1, Math.max(0, m[key]!));
      return { pass: score >= 0.5, score, detail: `${key} = ${m[key]}` };
    }
  }
}

/** A record from a runner line: scored, or failed with the runner's error. */
export function recordFromLine(c: SuiteCase, line: RawCaseLine): CaseRecord {
  const output = typeof line.output === 'string' ? line.output : '';
  const measures = measuresOf(line.measures);
  const error = typeof line.error === 'string' && line.error ? line.error.slice(0, 2000) : null;
  const base = { model: line.model, caseId: c.id, output: output.slice(0, 100_000), tokens: finite(line.tokens) ? Math.round(line.tokens) : 0, ms: finite(line.ms) ? line.ms : 0, measures, error };
  if (error) return { ...base, pass: c.kind === 'perplexity' && c.maxPerplexity === null ? null : false, score: c.kind === 'perf' ? null : 0, detail: `error: ${error}` };
  return { ...base, ...scoreCase(c, output, measures) };
}

/** A harness sample is a case of its own, made from what the runner recorded (joined by document hash). */
export function harnessCase(line: RawCaseLine): SuiteCase {
  const tag = line.case.split('/')[1] ?? 'harness';
  return {
    id: line.case,
    kind: 'harness',
    input: typeof line.input === 'string' ? line.input.slice(0, 2000) : '',
    expect: typeof line.target === 'string' ? [line.target.slice(0, 2000)] : [],
    match: 'any',
    ignoreCase: false,
    flags: '',
    schema: null,
    options: [],
    maxPerplexity: null,
    perf: { repeats: 1, minTokensPerSecond: null, maxLatencyMs: null },
    tags: ['harness', tag],
    critical: false,
    weight: 1,
    maxNewTokens: 0,
    stop: [],
    line: 0,
  };
}
