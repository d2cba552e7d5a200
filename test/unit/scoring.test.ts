import { describe, expect, it } from 'vitest';
import { extractJson, recordFromLine, regexMatches, scoreCase } from '../../src/main/testing/scoring';
import type { SuiteCase } from '../../src/shared/domain/testing';

function kase(over: Partial<SuiteCase>): SuiteCase {
  return {
    id: 'c',
    kind: 'contains',
    input: 'q',
    expect: [],
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
    maxNewTokens: 16,
    stop: [],
    line: 1,
    ...over,
  };
}

describe('scoring a case', () => {
  it('exact compares trimmed text, optionally ignoring case', () => {
    expect(scoreCase(kase({ kind: 'exact', expect: ['Paris'] }), ' Paris\n', {}).pass).toBe(true);
    expect(scoreCase(kase({ kind: 'exact', expect: ['Paris'] }), 'paris', {}).pass).toBe(false);
    expect(scoreCase(kase({ kind: 'exact', expect: ['Paris'], ignoreCase: true }), 'paris', {})).toMatchObject({ pass: true, score: 1 });
  });

  it('contains any-of / all-of and not-contains, case-insensitive when asked', () => {
    const any = kase({ expect: ['hello', 'hi'] });
    expect(scoreCase(any, 'oh hi there', {}).pass).toBe(true);
    expect(scoreCase(kase({ expect: ['hello', 'hi'], match: 'all' }), 'oh hi there', {})).toMatchObject({ pass: false, score: 0, detail: 'missing "hello"' });
    expect(scoreCase(kase({ expect: ['HELLO'], ignoreCase: true }), 'hello', {}).pass).toBe(true);
    expect(scoreCase(kase({ kind: 'not-contains', expect: ['###', 'as an AI'] }), 'fine answer', {}).pass).toBe(true);
    expect(scoreCase(kase({ kind: 'not-contains', expect: ['###', 'as an AI'] }), 'as an AI, ###', {}).pass).toBe(false);
    expect(scoreCase(kase({ kind: 'not-contains', expect: ['###', 'as an AI'], match: 'all' }), 'only ###', {}).pass).toBe(true);
  });

  it('fails a regex that would backtrack for ever within its time limit, and does not run it again', () => {
    const evil = kase({ kind: 'regex', expect: ['^(a+)+$'] });
    const text = `${'a'.repeat(40)}b`;
    let t0 = performance.now();
    const r = scoreCase(evil, text, {});
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/time limit/);
    expect(performance.now() - t0).toBeLessThan(1000);
    t0 = performance.now();
    expect(regexMatches('^(a+)+$', '', text)).toEqual({ matched: false, timedOut: true });
    expect(performance.now() - t0).toBeLessThan(5);
    expect(scoreCase(kase({ kind: 'regex', expect: ['^\\d{3}-\\d{4}$'] }), '555-1234', {}).pass).toBe(true);
    expect(scoreCase(kase({ kind: 'regex', expect: ['^yes'], ignoreCase: true }), 'YES', {}).pass).toBe(true);
  });

  it('json parses the answer (or the JSON inside it) and checks an optional schema', () => {
    expect(extractJson('Sure! {"a": 1} done')).toEqual({ ok: true, value: { a: 1 } });
    const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'number' } } };
    expect(scoreCase(kase({ kind: 'json', schema }), '{"answer": 42}', {}).pass).toBe(true);
    const bad = scoreCase(kase({ kind: 'json', schema }), '{"answer": "42"}', {});
    expect(bad.pass).toBe(false);
    expect(bad.detail).toMatch(/does not match the schema/);
    expect(scoreCase(kase({ kind: 'json' }), 'not json', {}).detail).toMatch(/^not JSON/);
  });

  it('choice passes when the most likely option is the expected one', () => {
    const c = kase({ kind: 'choice', options: [' blue', ' green'], expect: [' blue'] });
    expect(scoreCase(c, ' blue', { logprob_0: -1, logprob_1: -3, chosen: 0 }).pass).toBe(true);
    expect(scoreCase(c, ' green', { logprob_0: -4, logprob_1: -3, chosen: 1 })).toMatchObject({ pass: false, detail: 'chose " green", expected " blue"' });
  });

  it('perplexity scores the per-token probability, or min(1, bar / perplexity) with a bar', () => {
    const m = { nll: 20 * Math.log(10), tokens: 20 }; // perplexity 10
    expect(scoreCase(kase({ kind: 'perplexity' }), '', { ...m })).toMatchObject({ pass: null, score: expect.closeTo(0.1, 10) });
    expect(scoreCase(kase({ kind: 'perplexity', maxPerplexity: 5 }), '', { ...m })).toMatchObject({ pass: false, score: expect.closeTo(0.5, 10) });
    expect(scoreCase(kase({ kind: 'perplexity', maxPerplexity: 12 }), '', { ...m })).toMatchObject({ pass: true, score: 1 });
  });

  it('perf passes or fails only against the bars the case sets', () => {
    const m = { tokens_per_second: 50, latency_p50_ms: 20, latency_p95_ms: 40 };
    expect(scoreCase(kase({ kind: 'perf' }), '', m)).toMatchObject({ pass: null, score: null });
    expect(scoreCase(kase({ kind: 'perf', perf: { repeats: 3, minTokensPerSecond: 40, maxLatencyMs: 30 } }), '', m).pass).toBe(false);
    expect(scoreCase(kase({ kind: 'perf', perf: { repeats: 3, minTokensPerSecond: 40, maxLatencyMs: 50 } }), '', m).pass).toBe(true);
  });

  it('a runner error fails the case and keeps the message', () => {
    const r = recordFromLine(kase({ expect: ['x'] }), { model: 'candidate', case: 'c', output: '', error: 'time limit', measures: {} });
    expect(r).toMatchObject({ pass: false, score: 0, error: 'time limit', detail: 'error: time limit' });
    const odd = recordFromLine(kase({ expect: ['x'] }), { model: 'baseline', case: 'c', output: 42, tokens: 'many', ms: null, measures: { a: 'b', ok: 1 } });
    expect(odd).toMatchObject({ output: '', tokens: 0, ms: 0, measures: { ok: 1 } });
  });
});
