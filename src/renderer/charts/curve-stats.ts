// What a chart needs to know of a curve's items and band before drawing them: their finite values (for
// the robust y range), extremes, x extent and the points they stand for. Kept per items or band array
// (answers are immutable), so Compare works them out as each answer arrives, while the others are still
// on their way, instead of for all 50 runs after the last one.
import type { BandPoint, Item } from './line-chart';

export interface ValueStats {
  /** Every finite value, in order. */
  values: Float64Array;
  lowest: number;
  highest: number;
}

export interface ItemStats extends ValueStats {
  /** The items' x extent (NaN when there are none). */
  x0: number;
  x1: number;
  /** The points the items stand for (a bucket's count; 0 for the edges outside the window). */
  n: number;
  /** Whether x never decreases along the items (a time axis may not: a clock set back mid-run). */
  sorted: boolean;
}

const itemCache = new WeakMap<Item[], ItemStats>();
const bandCache = new WeakMap<BandPoint[], ValueStats>();

export function itemStats(items: Item[]): ItemStats {
  let stats = itemCache.get(items);
  if (stats) return stats;
  const values = new Float64Array(items.length);
  let [k, lowest, highest, n, x0, x1] = [0, Infinity, -Infinity, 0, Infinity, -Infinity];
  let sorted = true;
  for (const it of items) {
    n += it[2];
    if (it[0] < x1) sorted = false;
    if (it[0] < x0) x0 = it[0];
    if (it[0] > x1) x1 = it[0];
    const y = it[1];
    if (y === null || !Number.isFinite(y)) continue;
    values[k++] = y;
    if (y < lowest) lowest = y;
    if (y > highest) highest = y;
  }
  stats = { values: values.subarray(0, k), lowest, highest, x0: x0 <= x1 ? x0 : NaN, x1: x0 <= x1 ? x1 : NaN, n, sorted };
  itemCache.set(items, stats);
  return stats;
}

export function bandStats(band: BandPoint[]): ValueStats {
  let stats = bandCache.get(band);
  if (stats) return stats;
  const values = new Float64Array(band.length * 2);
  let [k, lowest, highest] = [0, Infinity, -Infinity];
  const add = (v: number | null) => {
    if (v === null || !Number.isFinite(v)) return;
    values[k++] = v;
    if (v < lowest) lowest = v;
    if (v > highest) highest = v;
  };
  for (const b of band) {
    add(b[1]);
    add(b[2]);
  }
  stats = { values: values.subarray(0, k), lowest, highest };
  bandCache.set(band, stats);
  return stats;
}
