// The gate statistics against numbers worked out by hand: exact McNemar p-values for small tables
// (and an exact BigInt reference for a larger one), the paired bootstrap replayed draw by draw for
// a tiny sample, the percentile rule, and the invariants the gates lean on (identical -> [0, 0],
// known shift -> [d, d], determinism, speed).
import { describe, expect, it } from 'vitest';
import { bootstrapTail, geometricMean, mcnemarExact, mean, mulberry32, pairedBootstrap, percentile, weightedMean } from '../../src/main/testing/stats';

describe('mulberry32', () => {
  it('matches the reference implementation (bryc) for known seeds', () => {
    // Values printed by the canonical JS version: a += 0x6D2B79F5; t = imul(t ^ t >>> 15, t | 1); ...
    const r = mulberry32(42);
    expect([r(), r(), r()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const s = mulberry32(0xdeadbeef);
    expect([s(), s(), s()]).toEqual([0.9413696140982211, 0.26719574979506433, 0.772033357527107]);
  });

  it('stays in [0, 1)', () => {
    const r = mulberry32(7);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(hi - lo).toBeGreaterThan(0.999); // and covers the interval
  });
});

describe('mcnemarExact', () => {
  it('gives the hand-computed exact p-values for small tables', () => {
    // n = 0: nothing to test, p = 1.
    expect(mcnemarExact(0, 0)).toEqual({ b: 0, c: 0, n: 0, pValue: 1 });
    // n = 1, k = 0: 2 * P(X <= 0) = 2 * 1/2 = 1.
    expect(mcnemarExact(1, 0).pValue).toBe(1);
    // n = 5, k = 0: 2 * 1/32 = 0.0625.
    expect(mcnemarExact(5, 0).pValue).toBeCloseTo(0.0625, 14);
    // n = 7, k = 1: 2 * (1 + 7) / 128 = 0.125.
    expect(mcnemarExact(6, 1).pValue).toBeCloseTo(0.125, 14);
    // n = 12, k = 2: 2 * (C(12,0) + C(12,1) + C(12,2)) / 4096 = 2 * (1 + 12 + 66) / 4096 = 158/4096 = 0.03857421875.
    expect(mcnemarExact(10, 2).pValue).toBeCloseTo(0.03857421875, 14);
    // n = 10, k = 2: 2 * (1 + 10 + 45) / 1024 = 112/1024 = 0.109375; the test is two-sided, so order does not matter.
    expect(mcnemarExact(2, 8).pValue).toBeCloseTo(0.109375, 14);
    expect(mcnemarExact(8, 2).pValue).toBeCloseTo(0.109375, 14);
    // n = 6, k = 3: 2 * (1 + 6 + 15 + 20) / 64 = 1.3125 -> capped at 1.
    expect(mcnemarExact(3, 3).pValue).toBe(1);
    // n = 20, k = 5: 2 * (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 2 * 21700 / 1048576 = 0.041389465...
    expect(mcnemarExact(15, 5).pValue).toBeCloseTo((2 * 21700) / 1048576, 14);
  });

  it('agrees with an exact BigInt sum of binomial coefficients for n = 300', () => {
    const n = 300;
    const k = 120;
    let coef = 1n;
    let sum = 1n;
    for (let i = 1; i <= k; i++) {
      coef = (coef * BigInt(n - i + 1)) / BigInt(i);
      sum += coef;
    }
    const scale = 10n ** 40n;
    const reference = Number((2n * sum * scale) / 2n ** BigInt(n)) / 1e40;
    const p = mcnemarExact(n - k, k).pValue;
    expect(Math.abs(p - reference) / reference).toBeLessThan(1e-10);
  });

  it('is tiny and symmetric for a large lopsided table, and sane near n = 1e6', () => {
    const p = mcnemarExact(600, 400).pValue;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-9);
    expect(mcnemarExact(400, 600).pValue).toBe(p);
    // n = 1e6, 1000 apart: z = (499500 - 500000) / 500 = -1, so p is about 2 * Phi(-1) = 0.3173.
    const t0 = performance.now();
    const big = mcnemarExact(500_500, 499_500).pValue;
    const ms = performance.now() - t0;
    expect(big).toBeGreaterThan(0.31);
    expect(big).toBeLessThan(0.325);
    expect(ms).toBeLessThan(500);
    // Far in the tail the p-value underflows gracefully to a tiny number or 0, never NaN.
    expect(Number.isNaN(mcnemarExact(1_000_000, 0).pValue)).toBe(false);
  });

  it('refuses counts that are not whole numbers', () => {
    expect(() => mcnemarExact(1.5, 0)).toThrow(RangeError);
    expect(() => mcnemarExact(-1, 0)).toThrow(RangeError);
  });
});

describe('bootstrapTail (the percentile rule)', () => {
  it('drops floor(alpha/2 * B) values from each end, robust to binary rounding', () => {
    expect(bootstrapTail(2000, 0.95)).toBe(50); // lower sorted[50], upper sorted[1949]
    expect(bootstrapTail(2000, 0.9)).toBe(100); // (1 - 0.9) / 2 * 2000 = 99.99999999999997 in doubles
    expect(bootstrapTail(10, 0.8)).toBe(1); // (1 - 0.8) / 2 * 10 = 0.9999999999999998 in doubles
    expect(bootstrapTail(6, 0.5)).toBe(1); // floor(1.5)
    expect(bootstrapTail(6, 0.99)).toBe(0);
    expect(bootstrapTail(3, 0.01)).toBe(1); // clamped: the two ends never cross
    expect(bootstrapTail(1, 0.95)).toBe(0);
  });
});

describe('pairedBootstrap', () => {
  // cand [1, 0, 1], base [0, 1, 0.5], weights [1, 2, 3]. Seed 42: mulberry32 draws * 3, floored, give the
  // indices 1 1 2 | 2 0 1 | 0 1 2 | 1 0 2 | 2 0 0 | 1 2 1 (replayed below, not just trusted).
  //   {1,1,2}: w 7, w*c 0+0+3 = 3, w*b 2+2+1.5 = 5.5 -> 3/7 - 5.5/7 = -5/14
  //   {2,0,1}, {0,1,2}, {1,0,2}: w 6, w*c 4, w*b 3.5 -> 4/6 - 3.5/6 = 1/12 (the original sample)
  //   {2,0,0}: w 5, w*c 3+1+1 = 5, w*b 1.5+0+0 = 1.5 -> 5/5 - 1.5/5 = 0.7
  //   {1,2,1}: w 7, w*c 3, w*b 5.5 -> -5/14
  // Sorted: [-5/14, -5/14, 1/12, 1/12, 1/12, 0.7].
  const cand = [1, 0, 1];
  const base = [0, 1, 0.5];
  const weights = [1, 2, 3];

  it('replays the index draws of a tiny sample exactly', () => {
    const r = mulberry32(42);
    const drawn = Array.from({ length: 18 }, () => Math.floor(r() * 3));
    expect(drawn).toEqual([1, 1, 2, 2, 0, 1, 0, 1, 2, 1, 0, 2, 2, 0, 0, 1, 2, 1]);

    // confidence 0.5, B = 6: tail = floor(0.25 * 6) = 1 -> lower sorted[1], upper sorted[4].
    const half = pairedBootstrap(cand, base, weights, { resamples: 6, seed: 42, confidence: 0.5 });
    expect(half).toEqual({ estimate: 4 / 6 - 3.5 / 6, lower: 3 / 7 - 5.5 / 7, upper: 4 / 6 - 3.5 / 6, resamples: 6 });
    // confidence 0.99: tail 0 -> the extremes.
    const wide = pairedBootstrap(cand, base, weights, { resamples: 6, seed: 42, confidence: 0.99 });
    expect(wide.lower).toBe(3 / 7 - 5.5 / 7);
    expect(wide.upper).toBe(5 / 5 - 1.5 / 5);
  });

  it('gives exactly [0, 0] for identical arrays', () => {
    const r = mulberry32(3);
    const xs = Array.from({ length: 500 }, () => r());
    const ws = Array.from({ length: 500 }, () => 0.1 + r() * 3);
    const res = pairedBootstrap(xs, [...xs], ws, { resamples: 1000, seed: 9, confidence: 0.95 });
    expect(res).toEqual({ estimate: 0, lower: 0, upper: 0, resamples: 1000 });
  });

  it('gives [d, d] when every case moves by the same d', () => {
    const r = mulberry32(4);
    for (const d of [0.25, -0.1, 0.003]) {
      const b = Array.from({ length: 200 }, () => r() * 0.5);
      const c = b.map((x) => x + d);
      const ws = b.map(() => 1 + Math.floor(r() * 4));
      const res = pairedBootstrap(c, b, ws, { resamples: 500, seed: 1, confidence: 0.95 });
      expect(res.estimate).toBeCloseTo(d, 12);
      expect(res.lower).toBeCloseTo(d, 12);
      expect(res.upper).toBeCloseTo(d, 12);
    }
  });

  it('is deterministic for a seed and mirrors exactly when the two sides swap', () => {
    const r = mulberry32(5);
    const c = Array.from({ length: 300 }, () => (r() < 0.7 ? 1 : 0));
    const b = Array.from({ length: 300 }, () => (r() < 0.65 ? 1 : 0));
    const ws = c.map(() => 1);
    const opts = { resamples: 2000, seed: 20261129, confidence: 0.95 };
    const one = pairedBootstrap(c, b, ws, opts);
    expect(pairedBootstrap(Float64Array.from(c), Float64Array.from(b), Float64Array.from(ws), opts)).toEqual(one);
    expect(one.lower).toBeLessThan(one.estimate);
    expect(one.upper).toBeGreaterThan(one.estimate);
    const swapped = pairedBootstrap(b, c, ws, opts);
    expect(swapped.estimate).toBe(-one.estimate);
    expect(swapped.lower).toBe(-one.upper);
    expect(swapped.upper).toBe(-one.lower);
    expect(pairedBootstrap(c, b, ws, { ...opts, seed: 1 })).not.toEqual(one);
  });

  it('refuses mismatched or empty input', () => {
    const opts = { resamples: 10, seed: 1, confidence: 0.95 };
    expect(() => pairedBootstrap([1, 2], [1], [1, 1], opts)).toThrow(RangeError);
    expect(() => pairedBootstrap([], [], [], opts)).toThrow(RangeError);
    expect(() => pairedBootstrap([1], [1], [0], opts)).toThrow(RangeError);
  });

  it('runs 10,000 cases x 2,000 resamples well under a second', () => {
    const r = mulberry32(6);
    const n = 10_000;
    const c = new Float64Array(n).map(() => r());
    const b = new Float64Array(n).map(() => r());
    const ws = new Float64Array(n).fill(1);
    const t0 = performance.now();
    pairedBootstrap(c, b, ws, { resamples: 2000, seed: 1, confidence: 0.95 });
    const ms = performance.now() - t0;
    console.log(`pairedBootstrap 10,000 x 2,000: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(3000);
  });
});

describe('helpers', () => {
  it('compute means and percentiles', () => {
    expect(weightedMean([1, 0], [3, 1])).toBe(0.75);
    expect(weightedMean([], [])).toBeNull();
    expect(weightedMean([1], [0])).toBeNull();
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNull();
    expect(geometricMean([2, 8])).toBeCloseTo(4, 12);
    // type 7: position (n - 1) * p / 100; [10, 20, 30, 40] at p95 -> 2.85 -> 30 + 0.85 * 10 = 38.5
    expect(percentile([40, 10, 30, 20], 95)).toBeCloseTo(38.5, 12);
    expect(percentile([40, 10, 30, 20], 50)).toBe(25);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});
