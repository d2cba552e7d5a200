// Many curves as one ECharts custom series: how an exported file of Compare's plot draws its 50 curves
// (the page draws them itself, plot-curves.ts, tracing them the same way, traceCurve below). As 50
// line series, ECharts rebuilt 50 models and data stores on every zoom. Their hover box is
// `curvesTooltip` (see curve-hover.ts).
import { itemStats } from './curve-stats';
import type { Curve, Item } from './line-chart';
import { tipBox } from './tooltip';

interface Api {
  coord(value: [number, number]): [number, number];
}

/** What one data item of the series says about its curve. */
const CURVE_DIMENSIONS = ['x0', 'x1', 'y0', 'y1', 'n', 'items', 'faint'] as const;

/** A dot on each point: for few points on few curves (2,500 dots for 50 runs say less than the lines). */
export const dotted = (c: Curve, curves: number) => !c.faint && c.items.length < 60 && curves <= 12;

/** What a curve is drawn as, told in pixels: the points of each stretch of values, and the dots. */
export interface CurvePen {
  point(x: number, y: number, first: boolean): void;
  /** A stretch ended after this many points (a lone point is also told as a dot, unless dotted). */
  stretchEnd(points: number): void;
  dot(x: number, y: number): void;
}

/**
 * A curve as stretches of values (a null, or a value the axis cannot place, breaks it, as a line series
 * does), a dot for a lone point between gaps, and with `dots` a dot on each point that stands for points
 * (not the edges outside the window). Shared by the page's canvas (plot-curves.ts) and the exported
 * chart's series below, so both draw the same. `toPixel` may return the same array each time.
 */
export function traceCurve(items: Item[], dots: boolean, toPixel: (x: number, y: number) => readonly [number, number], pen: CurvePen): void {
  let run = 0; // points in the stretch being traced
  let [lastX, lastY] = [0, 0];
  const end = () => {
    if (run === 1 && !dots) pen.dot(lastX, lastY);
    if (run > 0) pen.stretchEnd(run);
    run = 0;
  };
  for (const it of items) {
    if (it[1] === null) {
      end();
      continue;
    }
    const [x, y] = toPixel(it[0], it[1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      end();
      continue;
    }
    pen.point(x, y, run === 0);
    run++;
    [lastX, lastY] = [x, y];
    if (dots && it[2] > 0) pen.dot(x, y);
  }
  end();
}

/**
 * One custom series for every curve: a polyline per stretch of values (a null or a value a log axis
 * cannot place breaks it, as a line series does), a dot for a lone point between gaps.
 */
export function curvesSeries(curves: Curve[], logScale = false): object {
  // One data item per curve spanning it, so the axes' extents include it; the shape comes from its items.
  const data = curves.map((c) => {
    const s = itemStats(c.items);
    const num = (v: number) => (Number.isFinite(v) ? v : null);
    return { name: c.name, value: [num(s.x0), num(s.x1), num(s.lowest), num(s.highest), s.n, c.items.length, c.faint ? 1 : 0] };
  });
  return {
    id: 'curves',
    name: 'curves',
    type: 'custom',
    silent: true,
    tooltip: { show: false },
    clip: true,
    z: 2,
    dimensions: [...CURVE_DIMENSIONS],
    encode: { x: ['x0', 'x1'], y: ['y0', 'y1'] },
    data,
    renderItem: (params: { dataIndex: number }, api: Api) => {
      const c = curves[params.dataIndex]!;
      const stroke = { stroke: c.color, lineWidth: c.width ?? 1.6, lineDash: c.lineType ?? 'solid', fill: 'none', opacity: c.faint ? 0.25 : 1 };
      const children: object[] = [];
      let points: [number, number][] = [];
      traceCurve(c.items, dotted(c, curves.length), pixelMap(api, logScale, data[params.dataIndex]!.value), {
        point: (x, y, first) => (first ? (points = [[x, y]]) : points.push([x, y])),
        stretchEnd: (n) => n > 1 && children.push({ type: 'polyline', shape: { points }, style: stroke }),
        dot: (cx, cy) => children.push({ type: 'circle', shape: { cx, cy, r: 2 }, style: { fill: c.color } }),
      });
      return { type: 'group', children };
    },
  };
}

/**
 * Data to pixels. Linear axes (value and time) map affinely: ECharts' own mapping at two corners of the
 * curve's extent fixes the map for all its points (a call per point was a fifth of drawing 50 curves).
 * A log axis, or a flat or one-point curve, asks ECharts for each point.
 */
function pixelMap(api: Api, logScale: boolean, extent: (number | null)[]): (x: number, y: number) => [number, number] {
  const [x0 = null, x1 = null, y0 = null, y1 = null] = extent;
  const each = (x: number, y: number) => api.coord([x, y]);
  if (logScale || x0 === null || x1 === null || y0 === null || y1 === null || !(x1 > x0) || !(y1 > y0)) return each;
  const [ax, ay] = api.coord([x0, y0]);
  const [bx, by] = api.coord([x1, y1]);
  const [sx, sy] = [(bx - ax) / (x1 - x0), (by - ay) / (y1 - y0)];
  return (x, y) => [ax + (x - x0) * sx, ay + (y - y0) * sy];
}

/** The item of `items` nearest to x (the first of two as near): by bisection when they are in x order. */
export function nearestItem(items: Item[], x: number, sorted = true): Item | undefined {
  if (!sorted) {
    let best: Item | undefined;
    for (const it of items) if (!best || Math.abs(it[0] - x) < Math.abs(best[0] - x)) best = it;
    return best;
  }
  let [lo, hi] = [0, items.length - 1];
  if (hi < 0) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]![0] < x) lo = mid + 1;
    else hi = mid;
  }
  const after = items[lo]!;
  const before = items[lo - 1];
  return before && x - before[0] <= after[0] - x ? before : after;
}

/** A row of the hover box: a curve and its value at the x under the pointer. */
export interface HoverRow {
  name: string;
  color: string;
  value: number | null;
}

/**
 * What the hover box at x lists: each curve's item nearest to x, for the curves whose items reach x (a
 * run that ended at step 500 is not listed at step 900); and an item at exactly x to title it (a
 * bucket's when there is one, for its span of steps).
 */
export function curvesAt(x: number, curves: Curve[]): { at: Item | undefined; rows: HoverRow[] } {
  const rows: HoverRow[] = [];
  let at: Item | undefined;
  for (const c of curves) {
    if (c.faint || c.items.length === 0) continue;
    const stats = itemStats(c.items);
    if (x < stats.x0 || x > stats.x1) continue;
    const it = nearestItem(c.items, x, stats.sorted)!;
    if (it[0] === x && (!at || it[2] > at[2])) at = it;
    rows.push({ name: c.name, color: c.color, value: it[1] !== null && Number.isFinite(it[1]) ? it[1] : null });
  }
  return { at, rows };
}

/** The hover box at x (see curvesAt), titled by `heading`. */
export function curvesTooltip(x: number, curves: Curve[], heading: (item: Item) => string): HTMLElement {
  const { at, rows } = curvesAt(x, curves);
  return tipBox(heading(at ?? [x, null, 1, x, x]), rows);
}
