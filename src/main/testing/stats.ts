// The statistics behind the test gates: a seeded PRNG, the paired bootstrap of a difference of
// weighted means, the exact McNemar test, and a few small helpers. Pure functions without
// dependencies, so anyone can recompute a report's gates from its per-case records and get the
// same numbers (same seed, same draws, same sort).

/**
 * mulberry32: a tiny 32-bit PRNG, deterministic for a seed, with uniform draws in [0, 1).
 * Chosen because it is easy to reimplement anywhere (Python, a notebook) to check a report.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Number of resamples B. */
  resamples: number;
  /** Seed of mulberry32; the draws are the only randomness. */
  seed: number;
  /** Two-sided confidence level in (0, 1), e.g. 0.95. */
  confidence: number;
}

export interface BootstrapResult {
  /** The statistic on the original sample: weighted mean(cand) - weighted mean(base). */
  estimate: number;
  lower: number;
  upper: number;
  resamples: number;
}

type Numbers = Float64Array | number[];

/**
 * How many of the B sorted resampled values each tail of the interval drops.
 *
 * Percentile rule, exactly: alpha = 1 - confidence, tail = floor(alpha / 2 * B + 1e-9), clamped to
 * [0, floor((B - 1) / 2)]; lower = sorted[tail], upper = sorted[B - 1 - tail] (0-based indices into
 * the ascending sorted resampled differences). This equals the textbook "lower at index
 * floor(alpha/2 * B), upper at index ceil((1 - alpha/2) * B) - 1", since ceil(B - x) = B - floor(x)
 * for whole B; written this way the two ends are mirror images, so swapping the two models gives
 * exactly [-upper, -lower]. The 1e-9 absorbs binary rounding such as (1 - 0.9) / 2 * 2000 =
 * 99.99999999999997, which must count as 100. Example: B = 2000, confidence 0.95 -> tail 50,
 * lower = sorted[50], upper = sorted[1949].
 */
export function bootstrapTail(resamples: number, confidence: number): number {
  const alpha = 1 - confidence;
  const tail = Math.floor((alpha / 2) * resamples + 1e-9);
  return Math.min(Math.max(tail, 0), Math.floor((resamples - 1) / 2));
}

/**
 * Paired bootstrap of weighted mean(cand) - weighted mean(base). Each resample draws n case indices
 * with replacement (index = floor(rng() * n), n draws in order) and evaluates both means on those
 * SAME indices, so the pairing (same case, two models) is kept and the case-to-case variance that
 * both models share cancels. The interval is the percentile interval described at bootstrapTail.
 *
 * Weights must be finite and >= 0 with a positive total. A resample whose drawn weights are all 0
 * counts as a difference of 0 (it carries no information either way).
 */
export function pairedBootstrap(cand: Numbers, base: Numbers, weights: Numbers, opts: BootstrapOptions): BootstrapResult {
  const n = cand.length;
  if (base.length !== n || weights.length !== n) throw new RangeError(`pairedBootstrap: lengths differ (${n}, ${base.length}, ${weights.length})`);
  if (n === 0) throw new RangeError('pairedBootstrap: no cases');
  const B = Math.floor(opts.resamples);
  if (!(B >= 1)) throw new RangeError(`pairedBootstrap: resamples must be >= 1 (got ${opts.resamples})`);
  if (!(opts.confidence > 0 && opts.confidence < 1)) throw new RangeError(`pairedBootstrap: confidence must be in (0, 1) (got ${opts.confidence})`);

  // Precompute w*c and w*b once, so the inner loop is three additions per draw.
  const w = new Float64Array(n);
  const wc = new Float64Array(n);
  const wb = new Float64Array(n);
  let sw = 0;
  let swc = 0;
  let swb = 0;
  for (let i = 0; i < n; i++) {
    const wi = Number(weights[i]);
    if (!(wi >= 0) || !Number.isFinite(wi)) throw new RangeError(`pairedBootstrap: weight ${i} is ${wi}`);
    w[i] = wi;
    wc[i] = wi * Number(cand[i]);
    wb[i] = wi * Number(base[i]);
    sw += w[i]!;
    swc += wc[i]!;
    swb += wb[i]!;
  }
  if (!(sw > 0)) throw new RangeError('pairedBootstrap: total weight is 0');
  // Two quotients subtracted (not one quotient of a difference): with identical inputs both are the
  // same double, so the difference is exactly 0, and swapping the models negates it exactly.
  const estimate = swc / sw - swb / sw;

  const rng = mulberry32(opts.seed);
  const diffs = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    let rw = 0;
    let rc = 0;
    let rb = 0;
    for (let d = 0; d < n; d++) {
      const i = Math.floor(rng() * n);
      rw += w[i]!;
      rc += wc[i]!;
      rb += wb[i]!;
    }
    diffs[r] = rw > 0 ? rc / rw - rb / rw : 0;
  }
  diffs.sort(); // typed-array sort is numeric ascending
  const tail = bootstrapTail(B, opts.confidence);
  return { estimate, lower: diffs[tail]!, upper: diffs[B - 1 - tail]!, resamples: B };
}

export interface McNemarResult {
  /** Pairs where only the first model (the baseline, in the gates) passes. */
  b: number;
  /** Pairs where only the second model (the candidate) passes. */
  c: number;
  /** Discordant pairs, b + c. */
  n: number;
  pValue: number;
}

/**
 * Exact two-sided McNemar test: under "no difference" each discordant pair is a fair coin, so
 * X ~ Binomial(b + c, 1/2) and p = min(1, 2 * P(X <= min(b, c))). No discordant pairs: p = 1.
 *
 * The CDF is computed without factorials, stable for n up to 1e6 and beyond: log P(X = k) is a sum
 * of logs of ratios, then the terms below k follow by the ratio P(X = i - 1) / P(X = i) = i / (n - i + 1),
 * summed relative to P(X = k) (they shrink geometrically, so the sum stops once they stop mattering).
 */
export function mcnemarExact(b: number, c: number): McNemarResult {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) throw new RangeError(`mcnemarExact: counts must be whole numbers >= 0 (got ${b}, ${c})`);
  const n = b + c;
  if (n === 0) return { b, c, n, pValue: 1 };
  const k = Math.min(b, c);
  const logTail = logBinomialHalfCdf(k, n);
  const pValue = Math.min(1, Math.exp(Math.LN2 + logTail));
  return { b, c, n, pValue };
}

/** log P(X <= k) for X ~ Binomial(n, 1/2), with 0 <= k <= n. */
export function logBinomialHalfCdf(k: number, n: number): number {
  if (k >= n) return 0;
  // log C(n, k) = sum_{j=1..k} log((n - k + j) / j); every ratio is >= 1 and well conditioned.
  let logChoose = 0;
  for (let j = 1; j <= k; j++) logChoose += Math.log((n - k + j) / j);
  const logPk = logChoose - n * Math.LN2;
  // Sum P(X = i) / P(X = k) for i = k, k-1, ..., 0.
  let term = 1;
  let sum = 1;
  for (let i = k; i >= 1; i--) {
    term *= i / (n - i + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return logPk + Math.log(sum);
}

/** Weighted mean of values (weights >= 0); null when there are no values or the total weight is 0. */
export function weightedMean(values: Numbers, weights: Numbers): number | null {
  let sw = 0;
  let swx = 0;
  for (let i = 0; i < values.length; i++) {
    const wi = Number(weights[i]);
    sw += wi;
    swx += wi * Number(values[i]);
  }
  return sw > 0 ? swx / sw : null;
}

/** Plain mean; null for no values. */
export function mean(values: Numbers): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Number(values[i]);
  return s / values.length;
}

/** Geometric mean of positive values (the right average of perplexities, which are exp of mean NLL); null for none. */
export function geometricMean(values: Numbers): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.log(Number(values[i]));
  return Math.exp(s / values.length);
}

/**
 * Percentile p in [0, 100] by linear interpolation between closest ranks (NumPy's default, "type 7"):
 * position (n - 1) * p / 100 in the ascending values. Used for latency p50/p95 over perf repeats.
 * Null for no values. The input is not modified.
 */
export function percentile(values: Numbers, p: number): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const pos = ((n - 1) * Math.min(Math.max(p, 0), 100)) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}
