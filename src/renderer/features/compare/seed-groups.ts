// Seed grouping: runs that differ only in their seed become one curve, the mean with a +-1 standard
// deviation band, aligned by linear interpolation onto the first run's x values.
import type { TableRowOut } from '../../../shared/domain/runs-table';

/** Groups of run ids whose recipe, host and parameters match once `seed` is left out; in selection order. */
export function seedGroups(runs: TableRowOut[]): string[][] {
  const byKey = new Map<string, string[]>();
  for (const r of runs) {
    const { seed: _seed, ...rest } = r.params;
    const key = JSON.stringify([r.recipe, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
    byKey.set(key, [...(byKey.get(key) ?? []), r.id]);
  }
  return [...byKey.values()];
}

export function interpolateAt(points: [number, number | null][], x: number): number | null {
  if (points.length === 0) return null;
  let lo = 0;
  let hi = points.length - 1;
  if (x < points[0]![0] || x > points[hi]![0]) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]![0] <= x) lo = mid;
    else hi = mid;
  }
  const [x0, y0] = points[lo]!;
  const [x1, y1] = points[hi]!;
  if (y0 === null || y1 === null) return y0 ?? y1;
  return x1 === x0 ? y0 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
}

/** Mean and standard deviation across the curves at the first curve's x values (where at least two have a value). */
export function meanStd(curves: [number, number | null][][]): { mean: [number, number | null][]; lower: [number, number | null][]; upper: [number, number | null][] } {
  const grid = curves[0] ?? [];
  const mean: [number, number | null][] = [];
  const lower: [number, number | null][] = [];
  const upper: [number, number | null][] = [];
  for (const [x] of grid) {
    const ys = curves.map((c) => interpolateAt(c, x)).filter((y): y is number => y !== null && Number.isFinite(y));
    if (ys.length < 2) {
      mean.push([x, ys[0] ?? null]);
      lower.push([x, ys[0] ?? null]);
      upper.push([x, ys[0] ?? null]);
      continue;
    }
    const m = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / (ys.length - 1));
    mean.push([x, m]);
    lower.push([x, m - sd]);
    upper.push([x, m + sd]);
  }
  return { mean, lower, upper };
}
