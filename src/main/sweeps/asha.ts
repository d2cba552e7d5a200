// ASHA (asynchronous successive halving, Li et al., MLSys 2020), stopping form: the same rules as
// resources/remote/asha.py, for the sweeps the app drives itself (trials on several hosts, where no one
// host can run the scheduler beside all of them). Both give the same decisions on the same reports:
// test/unit/asha-parity.test.ts feeds them the same sequences.
//
// Rungs: r * eta^(s + k) up to R, in integer arithmetic, with R added as the last rung when it is not
// one; nothing is decided there (the trial trained to the end). A trial reporting v at rung k goes on
// when v is among the top ceil(n / eta) of the rung's n results so far (itself included); ties with the
// cut-off go on; a value that is not a number ranks below every number; a trial that never reports at a
// rung has no result there and does not move its cut-off.

export type Goal = 'minimize' | 'maximize';

export interface AshaDecision {
  action: 'continue' | 'stop' | 'complete';
  rung: number;
  resource: number;
  value: number | null;
  cutoff: number | null;
  rank: number | null;
  results: number;
  keep: number | null;
  reason: string;
}

const isWhole = (n: number) => Number.isFinite(n) && Math.floor(n) === n;

/** The resource at which each rung is reached, lowest first (asha.py's rung_resources). */
export function rungResources(minResource: number, maxResource: number, eta: number, earlyStopRate = 0): number[] {
  if (!isWhole(eta) || eta < 2) throw new Error('eta (the reduction factor) must be a whole number of at least 2');
  if (!(minResource > 0) || !(maxResource >= minResource)) throw new Error('need 0 < min_resource <= max_resource');
  if (!isWhole(earlyStopRate) || earlyStopRate < 0) throw new Error('early_stop_rate must be a whole number of at least 0');
  const rungs: number[] = [];
  // Repeated multiplication, never a floating-point log: 243 = 3^5 is a rung of 1..243, 242 is not.
  let resource = minResource * eta ** earlyStopRate;
  while (resource <= maxResource) {
    rungs.push(resource);
    resource *= eta;
  }
  if (!rungs.length) throw new Error('min_resource * eta**early_stop_rate is beyond max_resource: no rung');
  return rungs;
}

/** Not a finite number: ranks below every number (asha.py's _sort_key puts these last). */
const isBad = (v: number | null | undefined): boolean => typeof v !== 'number' || !Number.isFinite(v);

/** Negative when a is better than b, 0 when they rank the same. */
function compare(a: number | null, b: number | null, goal: Goal): number {
  const badA = isBad(a);
  const badB = isBad(b);
  if (badA || badB) return badA === badB ? 0 : badA ? 1 : -1;
  const d = goal === 'minimize' ? a! - b! : b! - a!;
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** A trial's report for a rung: its last objective value logged at or before the rung's resource (null: none yet). */
export function valueAt(points: readonly (readonly [number, number | null])[], resource: number): number | null | undefined {
  let best: readonly [number, number | null] | undefined;
  for (const p of points) if (p[0] <= resource && (best === undefined || p[0] >= best[0])) best = p;
  return best === undefined ? undefined : best[1];
}

/** Python's str(float) for the special values, so both write the same sentences. */
export function formatValue(value: number | null | undefined): string {
  if (typeof value !== 'number') return 'no value';
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === Math.trunc(value) && Math.abs(value) < 1e15) return String(value);
  if (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6) return pyG4(value);
  return fixed3(value).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Python's "%.3f". toFixed breaks an exact tie upwards where Python rounds half to even; at 3 decimals a
 * double is an exact tie only when it is an odd number of sixteenths (0.0625, 0.1875, ...).
 */
function fixed3(value: number): string {
  const sixteenths = Math.abs(value) * 16;
  if (!Number.isInteger(sixteenths) || sixteenths % 2 === 0) return value.toFixed(3);
  const thousandths = Math.floor(Math.abs(value) * 1000); // exact: an odd number of sixteenths is k + 0.5 thousandths
  const even = thousandths % 2 === 0 ? thousandths : thousandths + 1;
  return (value < 0 ? '-' : '') + (even / 1000).toFixed(3);
}

/** Python's "%.4g": 4 significant digits, exponent with a sign and at least two digits, trailing zeros dropped. */
function pyG4(value: number): string {
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(4)))));
  if (exp < -4 || exp >= 4) {
    const [mantissa, e] = value.toExponential(3).split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, 3 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** The rungs' results and the decision for each report; rebuilt by replaying stored decisions in order. */
export class Asha {
  readonly eta: number;
  readonly rungs: number[];
  private readonly results: Map<string, number | null>[];

  constructor(
    minResource: number,
    maxResource: number,
    eta = 3,
    readonly goal: Goal = 'minimize',
    earlyStopRate = 0,
  ) {
    if (goal !== 'minimize' && goal !== 'maximize') throw new Error("goal must be 'minimize' or 'maximize'");
    this.eta = Math.trunc(eta);
    this.rungs = rungResources(minResource, maxResource, this.eta, earlyStopRate);
    if (this.rungs[this.rungs.length - 1] !== maxResource) this.rungs.push(maxResource);
    this.results = this.rungs.map(() => new Map());
  }

  /** The next rung the trial has not reported at (rungs.length when none is left). */
  nextRung(trial: string): number {
    const k = this.results.findIndex((r) => !r.has(trial));
    return k < 0 ? this.rungs.length : k;
  }

  /** Trial reached rung k with value. A second report at the same rung answers as the first (a replay counts nothing twice). */
  report(trial: string, k: number, reported: number | null): AshaDecision {
    if (!isWhole(k) || k < 0 || k >= this.rungs.length) throw new Error(`rung ${k} is not one of 0..${this.rungs.length - 1}`);
    const rung = this.results[k]!;
    if (!rung.has(trial)) rung.set(trial, reported);
    const value = rung.get(trial) ?? null;
    const resource = this.rungs[k]!;
    if (k === this.rungs.length - 1) {
      return { action: 'complete', rung: k, resource, value, cutoff: null, rank: null, results: rung.size, keep: null, reason: `reached the last rung (${formatValue(resource)}): trained to the end` };
    }
    const ordered = [...rung.entries()].sort((a, b) => compare(a[1], b[1], this.goal) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const keep = Math.max(1, Math.ceil(ordered.length / this.eta));
    const cut = ordered[keep - 1]![1];
    // Ties with the cut-off go on: the rank counts only the strictly better values.
    const rank = ordered.filter(([, v]) => compare(v, value, this.goal) < 0).length + 1;
    const goesOn = compare(value, cut, this.goal) <= 0;
    const share = `1/${this.eta}`;
    const reason = goesOn
      ? `continues at rung ${k}: ${formatValue(value)} in the top ${share} (${rank} of ${ordered.length}; cut-off ${formatValue(cut)})`
      : `stopped at rung ${k}: ${formatValue(value)} not in the top ${share} (${formatValue(cut)})`;
    return { action: goesOn ? 'continue' : 'stop', rung: k, resource, value, cutoff: cut, rank, results: ordered.length, keep, reason };
  }
}
