// Number, size and time formatting for the report. Locale-free on purpose: the same report must
// read the same on every reviewer's machine, and the offline file has no locale data to rely on.

const DASH = '—';

/** 12345 -> "12,345". */
export function fmtInt(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Scores and other values in [0, 1]: three decimals, so 0.981 and 0.978 stay distinguishable. */
export function fmtScore(n: number | null | undefined): string {
  return n == null || !Number.isFinite(n) ? DASH : n.toFixed(3);
}

/** A signed difference, e.g. "+0.042" / "-0.150"; the sign is the point of the number. */
export function fmtDelta(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return DASH;
  const text = Math.abs(n) < 1e-3 && n !== 0 ? Math.abs(n).toExponential(1) : Math.abs(n).toFixed(3);
  return (n > 0 ? '+' : n < 0 ? '−' : '') + text;
}

export function fmtPercent(rate: number | null | undefined): string {
  return rate == null || !Number.isFinite(rate) ? DASH : `${(rate * 100).toFixed(1)}%`;
}

/** p-values: tiny ones in exponent form, since "0.000" hides whether the evidence is strong or absurd. */
export function fmtP(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return DASH;
  if (p === 0) return '0';
  return p < 1e-3 ? p.toExponential(2) : p.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** Any other measure (tokens/s, ms, perplexity): precision that shrinks as the number grows. */
export function fmtNumber(n: number | null | undefined): string {
  if (n == null) return DASH;
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return Math.abs(n) >= 1e15 ? n.toExponential(3) : fmtInt(n);
  const a = Math.abs(n);
  if (a >= 1e9 || a < 1e-3) return n.toExponential(2);
  if (a >= 100) return fmtInt(n) + (a % 1).toFixed(1).slice(1).replace(/\.0$/, '');
  // Trailing zeros trimmed: 41.2 tokens/s, not 41.200.
  return n.toFixed(3).replace(/\.?0+$/, '');
}

export function isPValueKey(key: string): boolean {
  return /^p($|[_A-Z-]|value)/.test(key) || /p[_-]?value/i.test(key);
}

/** A gate's number by its key: p-values as p-values, the rest as measures; strings as given. */
export function fmtGateNumber(key: string, value: number | string | null): string {
  if (value === null) return DASH;
  if (typeof value === 'string') return value;
  if (isPValueKey(key)) return fmtP(value);
  // Estimates, bounds, means and margins live in [-1, 1]: read them as scores, three decimals.
  return Number.isInteger(value) || Math.abs(value) > 1 ? fmtNumber(value) : value.toFixed(3);
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${fmtInt(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** Epoch ms as "2026-11-29 14:02:07 UTC": one zone for everyone who reads the same file. */
export function fmtTime(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  return ms < 1000 ? `${fmtNumber(Math.round(ms))} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export { DASH };
