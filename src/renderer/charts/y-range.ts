// The y range of a line chart. Outlier-robust by default (as W&B users know it): a few values far
// outside the rest (one loss spike of +25 on a curve near 1) no longer flatten everything else. The
// range covers the bulk of the values; what lies beyond it is still drawn (running off the plot's
// edge) and marked at that edge with its value, so a spike is never hidden.

export interface YRange {
  min: number;
  max: number;
}

/**
 * The value of rank k (0-based) of `a`, found in place by quickselect (Hoare's FIND): O(n) where a sort
 * was O(n log n), for the two quantiles a zoom of 50 curves asks for (30,000 values) on every redraw.
 */
function select(a: Float64Array, k: number): number {
  let [lo, hi] = [0, a.length - 1];
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let [i, j] = [lo, hi];
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** The rank of quantile q among n values, rounded toward the middle: on few points, one outlier never sets it. */
const rankOf = (n: number, q: number) => (q < 0.5 ? Math.ceil((n - 1) * q) : Math.floor((n - 1) * q));

/**
 * The range to draw `values` in: their full extent, except that an end is cut where the values beyond
 * the 0.5% / 99.5% quantile reach further than twice the bulk's spread (real outliers, not a curve's
 * steep start: 1/step's first point stays). Null when there is nothing to draw (ECharts then picks its own range).
 */
export function robustRange(values: ArrayLike<number>, logScale = false): YRange | null {
  // Into one typed array (the array of numbers this once went through cost more than the sort).
  const kept = new Float64Array(values.length);
  let n = 0;
  let [lowest, highest] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || (logScale && v <= 0)) continue;
    const w = logScale ? Math.log10(v) : v;
    kept[n++] = w;
    if (w < lowest) lowest = w;
    if (w > highest) highest = w;
  }
  const range = robustRangeOfFinite(kept.subarray(0, n), lowest, highest);
  const back = (v: number) => (logScale ? 10 ** v : v);
  return range && { min: back(range.min), max: back(range.max) };
}

/**
 * robustRange of values already known finite, with their extremes: no pass to filter them (a zoom's
 * first drawing ran that pass of 15,000 values still interpreted, 3 ms). Reorders `a`.
 */
export function robustRangeOfFinite(a: Float64Array, lowest: number, highest: number): YRange | null {
  const n = a.length;
  if (n === 0) return null;
  const lo = select(a, rankOf(n, 0.005));
  const hi = select(a, rankOf(n, 0.995));
  const spread = hi - lo;
  const pad = spread * 0.05;
  return { min: spread > 0 && lo - lowest > spread * 2 ? lo - pad : lowest, max: spread > 0 && highest - hi > spread * 2 ? hi + pad : highest };
}

/** True when the range leaves some value out (the chart then marks them). */
export function cuts(range: YRange | null, lowest: number, highest: number): boolean {
  return !!range && (highest > range.max || lowest < range.min);
}

export interface OffScale {
  x: number;
  value: number;
  color: string;
  above: boolean;
}

/**
 * Marks for the values outside the range: one per stretch of consecutive points beyond it (its most
 * extreme value), at most `limit` of them, the furthest out first.
 */
export function offScaleMarks(
  curves: { points: ArrayLike<readonly [number, number | null, ...(number | null)[]]>; color: string; /** Where in each point its value is (default 1). */ y?: number }[],
  range: YRange,
  limit = 12,
): OffScale[] {
  const marks: OffScale[] = [];
  for (const { points, color, y = 1 } of curves) {
    let current: OffScale | null = null;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const x = point[0];
      const v = point[y] ?? null;
      const above = v !== null && v > range.max;
      const below = v !== null && v < range.min;
      if (!above && !below) {
        if (current) marks.push(current);
        current = null;
        continue;
      }
      if (current && current.above === above) {
        if (above ? v! > current.value : v! < current.value) [current.x, current.value] = [x, v!];
      } else {
        if (current) marks.push(current);
        current = { x, value: v!, color, above };
      }
    }
    if (current) marks.push(current);
  }
  const distance = (m: OffScale) => (m.above ? m.value - range.max : range.min - m.value);
  return marks.sort((a, b) => distance(b) - distance(a)).slice(0, limit);
}

const label = (v: number) => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString());

/** About how wide a mark's label is drawn at 10 px, with its gap. */
const labelWidth = (text: string) => 8 + text.length * 6.2;

/**
 * The row of each label (0 at the edge, 1 below it, ...), given where each starts and how wide it is
 * (pixels): a label goes in the first row where it does not touch one already placed, so spikes close
 * together get readable labels instead of one printed over another.
 */
export function labelRows(labels: { left: number; width: number }[], firstRowTaken: { left: number; right: number }[] = []): number[] {
  // The first row also holds the marks' triangles: a label there must not cover another mark.
  const placed: { left: number; right: number }[][] = firstRowTaken.length ? [[...firstRowTaken]] : [];
  return labels.map(({ left, width }) => {
    const right = left + width;
    let row = placed.findIndex((taken) => taken.every((t) => right <= t.left || left >= t.right));
    if (row < 0) row = placed.push([]) - 1;
    placed[row]!.push({ left, right });
    return row;
  });
}

/** The marks' outline and labels: the page's text colour in each theme. */
export const markTextColour = (theme: 'light' | 'dark') => (theme === 'dark' ? '#e3e7ee' : '#1c2430');

/** A mark as drawn: its triangle at the plot's edge and its value beside it (pixels). */
export interface MarkShape {
  /** Its index in the marks. */
  index: number;
  triangle: [number, number][];
  text: string;
  textX: number;
  textY: number;
  align: 'left' | 'right';
  color: string;
}

/**
 * Where each mark inside the plot's x extent is drawn, given the map from data to pixels: a triangle at
 * the edge it is past, its label beside it on the side with room, in rows so labels close together stay
 * readable. Shared by the ECharts series below (exports) and the page's plot (plot.ts).
 */
export function markShapes(marks: OffScale[], range: YRange, coord: (x: number, y: number) => readonly [number, number], box: { x: number; width: number }): MarkShape[] {
  const rows = new Map([...placeLabels(marks, true, coord, box), ...placeLabels(marks, false, coord, box)]);
  const shapes: MarkShape[] = [];
  marks.forEach((m, index) => {
    const [x, y] = coord(m.x, m.above ? range.max : range.min);
    if (!(x >= box.x - 1 && x <= box.x + box.width + 1)) return;
    const dir = m.above ? 1 : -1;
    const text = `${m.above ? '↑' : '↓'} ${label(m.value)}`;
    const right = x + 7 + labelWidth(text) < box.x + box.width;
    const row = rows.get(index) ?? 0;
    shapes.push({
      index,
      triangle: [
        [x, y],
        [x - 5, y + dir * 8],
        [x + 5, y + dir * 8],
      ],
      text,
      textX: right ? x + 7 : x - 7,
      textY: y + dir * (9 + row * 13),
      align: right ? 'left' : 'right',
      color: m.color,
    });
  });
  return shapes;
}

/** One ECharts custom series drawing the marks: a triangle at the plot's edge and the value beside it. */
export function offScaleSeries(marks: OffScale[], range: YRange, textColor: string): object {
  return {
    id: 'off-scale',
    name: 'off-scale values',
    type: 'custom',
    silent: true,
    tooltip: { show: false },
    clip: false,
    z: 5,
    // x and the edge's y: the marks must not stretch the y axis (its range is set explicitly anyway).
    encode: { x: 0, y: 1 },
    data: marks.map((m) => [m.x, m.above ? range.max : range.min, m.value]),
    renderItem: (params: { dataIndex: number; coordSys: { x: number; y: number; width: number; height: number } }, api: { coord(v: [number, number]): [number, number] }) => {
      // Every mark of this drawing is placed on each call (<= 12): the rows depend on all of them.
      const shape = markShapes(marks, range, (x, y) => api.coord([x, y]), params.coordSys).find((s) => s.index === params.dataIndex);
      if (!shape) return null;
      return {
        type: 'group',
        children: [
          { type: 'polygon', shape: { points: shape.triangle }, style: { fill: shape.color, stroke: textColor, lineWidth: 0.5 } },
          { type: 'text', style: { text: shape.text, x: shape.textX, y: shape.textY, align: shape.align, verticalAlign: 'middle', fill: textColor, fontSize: 10 } },
        ],
      };
    },
  };
}

/** The label row of each mark at one edge (by its index in `marks`), from where the chart draws them. */
function placeLabels(marks: OffScale[], above: boolean, coord: (x: number, y: number) => readonly [number, number], box: { x: number; width: number }): Map<number, number> {
  const atEdge = marks
    .map((m, i) => ({ m, i, px: coord(m.x, 0)[0] }))
    .filter(({ m, px }) => m.above === above && px >= box.x - 1 && px <= box.x + box.width + 1)
    .sort((a, b) => a.px - b.px);
  const spans = atEdge.map(({ m, px }) => {
    const width = labelWidth(`${m.above ? '↑' : '↓'} ${label(m.value)}`);
    // Drawn 7 px to the side of its triangle (see markShapes).
    return px + 7 + width < box.x + box.width ? { left: px + 6, width } : { left: px - 6 - width, width };
  });
  const rows = labelRows(
    spans,
    atEdge.map(({ px }) => ({ left: px - 5, right: px + 5 })),
  );
  return new Map(atEdge.map(({ i }, k) => [i, rows[k]!]));
}
