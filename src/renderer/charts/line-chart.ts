// The option for a line chart of window-query answers, shared by the run page and Compare: the x axis
// set to exactly the window asked for, light min/max bands (off by default when they would bury the
// curves), an outlier-robust y range with off-scale values marked, and tooltips with whole steps.
import type { WindowResult } from '../../shared/domain/metrics';
import type { Theme } from '../theme';
import { bandsSeries, type Band } from './band';
import { bandStats, itemStats, type ValueStats } from './curve-stats';
import { curvesSeries } from './curves';
import { axisTooltip } from './tooltip';
import { cuts, markTextColour, offScaleMarks, offScaleSeries, robustRange, robustRangeOfFinite, type OffScale, type YRange } from './y-range';
import type { XWindow } from './zoom';

/** One drawn item: x, the value (a bucket's mean), the points it stands for, and the x span they cover. */
export type Item = [x: number, y: number | null, n: number, x0: number, x1: number];
/** A band's edge at x: the exact min and max of the points there. */
export type BandPoint = [x: number, min: number | null, max: number | null];

export interface Curve {
  name: string;
  color: string;
  lineType?: 'solid' | 'dashed' | 'dotted';
  width?: number;
  items: Item[];
  band?: BandPoint[] | null;
  /** Drawn, but not in the legend or the tooltip (the raw curve under a smoothed one). */
  faint?: boolean;
}

/**
 * An answer as items and band. `xOf` maps a point's step (or rank), rank and time to the chart's x. The
 * points just outside the window (asked for with `edges`) carry the line to the axis' ends, where it is
 * clipped; they stand for no point of the window (n = 0).
 */
export function fromWindow(r: WindowResult, xOf: (step: number | null, idx: number, ts: number) => number): { items: Item[]; band: BandPoint[] | null; xs: XWindow | null } {
  const edge = (p: { step: number | null; idx: number; ts: number; value: number | null } | undefined): Item[] => {
    if (!p) return [];
    const x = xOf(p.step, p.idx, p.ts);
    return [[x, p.value, 0, x, x]];
  };
  if (r.kind === 'points') {
    const items = r.points.map((p): Item => {
      const x = xOf(p.step, p.idx, p.ts);
      return [x, p.value, 1, x, x];
    });
    return { items: [...edge(r.before), ...items, ...edge(r.after)], band: null, xs: items.length ? { from: items[0]![0], to: items[items.length - 1]![0] } : null };
  }
  const items: Item[] = [...edge(r.before)];
  const band: BandPoint[] = [];
  for (const b of r.buckets) {
    const x0 = xOf(b.firstStep, b.firstIdx, b.firstTs);
    const x1 = xOf(b.lastStep, b.lastIdx, b.lastTs);
    items.push([(x0 + x1) / 2, b.n ? b.sum / b.n : null, b.count, x0, x1]);
    // The band spans each bucket's points, edge to edge: it reaches the window's ends.
    band.push([x0, b.min, b.max], [x1, b.min, b.max]);
  }
  items.push(...edge(r.after));
  const inside = items.filter((it) => it[2] > 0);
  return { items, band, xs: inside.length ? { from: inside[0]![3], to: inside[inside.length - 1]![4] } : null };
}

/**
 * Whether bands are drawn when the user has not said: not for more than three curves, nor when
 * together they would cover more than half the plot.
 */
export function bandsByDefault(curves: Curve[], range: YRange | null, window: XWindow | null): boolean {
  const banded = curves.filter((c) => c.band?.length);
  if (banded.length === 0) return true;
  if (banded.length > 3 || !range || !window) return banded.length <= 3;
  const height = range.max - range.min;
  const width = window.to - window.from;
  if (!(height > 0 && width > 0)) return true;
  let area = 0;
  for (const c of banded) {
    const b = c.band!;
    for (let i = 1; i < b.length; i++) {
      const [x0, lo0, hi0] = b[i - 1]!;
      const [x1] = b[i]!;
      if (lo0 === null || hi0 === null) continue;
      area += ((Math.min(hi0, range.max) - Math.max(lo0, range.min)) / height) * ((x1 - x0) / width);
    }
  }
  return area <= 0.5;
}

export interface LineChartInput {
  curves: Curve[];
  /** The x axis' window: exactly what was asked for (or all the data when zoomed out). */
  window: XWindow | null;
  xAxis: { type: 'value' | 'time'; name: string; wholeNumbers: boolean };
  logScale?: boolean;
  robust: boolean;
  bands: boolean;
  hidden: ReadonlySet<string>;
  theme: Theme;
  grid: { left: number; right: number; top: number; bottom: number };
  /**
   * ECharts' own legend (default), with a line series per curve; or none: the owner then lists the
   * curves itself, the hidden ones are left out of the option, and the rest are one series (see
   * curves.ts). Compare's files are drawn this way (its page draws its plot itself, see plot.ts): with
   * 50 curves ECharts laid its legend out again on every redraw, and built a model and data store per
   * line series.
   */
  legend?: boolean;
}

export interface LineChartOption {
  option: Record<string, unknown>;
  range: YRange | null;
  /** True when the robust range leaves values out (they are marked). */
  cut: boolean;
}

/** A step of 1, 2, 2.5 or 5 times a power of ten that splits `span` into about five. */
function niceStep(span: number): number {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * power;
}

/**
 * The y axis from lo to hi rounded out to whole steps, with the step: the end labels are then ticks
 * like the others (ECharts 6 labels a bare data extent, e.g. 1.16 beside 1.15).
 */
export function niceAxis(lo: number, hi: number): { min: number; max: number; interval: number } | null {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  const interval = niceStep(hi - lo);
  return { min: Math.floor(lo / interval) * interval, max: Math.ceil(hi / interval) * interval, interval };
}

export const yLabel = (v: number) => (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) ? v.toExponential(1) : Number(v.toPrecision(4)).toString());

const whole = (v: number) => Math.round(v).toLocaleString('en-US');

/** The tooltip's heading: a point's step, or the whole steps a bucket covers. */
export function xLabel(item: unknown, wholeNumbers: boolean, time: boolean): string {
  const [x, , n, x0, x1] = (Array.isArray(item) ? item : []) as Partial<Item>;
  if (typeof x !== 'number') return '';
  if (time) return new Date(x).toLocaleString();
  if (!wholeNumbers) return Number(x.toPrecision(6)).toLocaleString('en-US');
  if (typeof n === 'number' && n > 1 && typeof x0 === 'number' && typeof x1 === 'number') return `steps ${whole(x0)}–${whole(x1)} (${n.toLocaleString('en-US')} points)`;
  return `step ${whole(x)}`;
}

/** What a line chart shows, whoever draws it: ECharts (lineChartOption) or a plot of our own (plot.ts). */
export interface LineChartScene {
  /** The curves not switched off. */
  shown: Curve[];
  /** The robust range of the shown curves' values (null when not asked for, or none). */
  range: YRange | null;
  /** True when the robust range leaves values out (they are marked). */
  cut: boolean;
  /** The shown curves' extreme values (their bands' too); on a log axis, the lowest above zero. */
  lowest: number;
  highest: number;
  lowestPositive: number;
  /** The y axis: the robust range when it cuts, else all the values, rounded out to whole steps; null where the data sets it (a log axis that cuts nothing, one flat value). */
  axisY: { min: number; max: number; interval?: number } | null;
  /** The range the marks are for (set when it cuts). */
  drawnRange: YRange | null;
  /** Values past the drawn range: each stretch marked once, at most 12. */
  marks: OffScale[];
}

export function lineChartScene(input: Omit<LineChartInput, 'bands' | 'legend' | 'grid' | 'xAxis' | 'theme'>): LineChartScene {
  const { curves, window, hidden } = input;
  const shown = curves.filter((c) => !hidden.has(c.name));
  // The y range covers the curves and their min/max (drawn or not), robustly unless the user said no.
  // (Worked out once per answer: see curve-stats.ts.)
  const parts = shown.flatMap((c): ValueStats[] => [itemStats(c.items), ...(c.band ? [bandStats(c.band)] : [])]);
  let count = 0;
  for (const p of parts) count += p.values.length;
  const values = new Float64Array(count);
  let n = 0;
  let [lowest, highest] = [Infinity, -Infinity];
  for (const p of parts) {
    values.set(p.values, n);
    n += p.values.length;
    if (p.lowest < lowest) lowest = p.lowest;
    if (p.highest > highest) highest = p.highest;
  }
  let lowestPositive = Infinity;
  if (input.logScale) for (let i = 0; i < n; i++) if (values[i]! > 0 && values[i]! < lowestPositive) lowestPositive = values[i]!;
  // The values of curve-stats.ts are finite: on a linear axis they need no filtering (and `values` is ours to reorder).
  const range = !input.robust ? null : input.logScale ? robustRange(values.subarray(0, n), true) : robustRangeOfFinite(values.subarray(0, n), lowest, highest);
  const cut = cuts(range, lowest, highest);
  const axisY = input.logScale ? (range && cut ? { min: range.min, max: range.max } : null) : cut && range ? niceAxis(range.min, range.max) : niceAxis(lowest, highest);
  const drawnRange = cut && axisY ? { min: axisY.min, max: axisY.max } : null;
  // Every curve's values past the range (its band's extremes too): each stretch marked once. Only the
  // curves whose extremes pass it are searched (with 50 runs, a few).
  const beyond = (s: ValueStats) => !!drawnRange && (s.highest > drawnRange.max || s.lowest < drawnRange.min);
  const marked = drawnRange
    ? shown.flatMap((c) => [
        ...(beyond(itemStats(c.items)) ? [{ points: c.items, color: c.color }] : []),
        ...(c.band && beyond(bandStats(c.band))
          ? [
              { points: c.band, color: c.color, y: 2 },
              { points: c.band, color: c.color, y: 1 },
            ]
          : []),
      ])
    : [];
  const marks = drawnRange ? dedupe(offScaleMarks(marked, drawnRange, 36), window ? (window.to - window.from) / 150 : 0).slice(0, 12) : [];
  return { shown, range, cut, lowest, highest, lowestPositive, axisY, drawnRange, marks };
}

/** The min/max band of each shown curve that has one (a seed group's std for its mean). */
export function bandsOf(shown: Curve[]): Band[] {
  return shown
    .filter((c) => c.band && !c.faint)
    .map((c) => ({ name: c.name, lower: c.band!.map(([x, lo]) => [x, lo]), upper: c.band!.map(([x, , hi]) => [x, hi]), color: c.color, edgeWidth: 0.6, edgeOpacity: 0.35, fillOpacity: 0.1 }));
}

export function lineChartOption(input: LineChartInput): LineChartOption {
  const { curves, window, theme } = input;
  const { shown, range, cut, axisY, drawnRange, marks } = lineChartScene(input);
  const series: object[] = [];
  const withLegend = input.legend ?? true;
  if (withLegend) {
    for (const c of curves) {
      const lineStyle = { color: c.color, width: c.width ?? 1.6, type: c.lineType ?? 'solid', ...(c.faint ? { opacity: 0.25 } : {}) };
      series.push({
        // Stable ids: a redraw updates the same series (a hover box open over the chart keeps pointing at real ones).
        id: c.faint ? `raw:${c.name}` : `curve:${c.name}`,
        name: c.name,
        type: 'line',
        // Stored by ECharts: x, y and the points an item stands for (read back by chart-state.ts). The
        // bucket's span (x0, x1) stays in the item, which the tooltip gets whole: two fewer columns for
        // ECharts to copy on every zoom.
        dimensions: ['x', 'y', 'n'],
        encode: { x: 'x', y: 'y' },
        data: c.items,
        lineStyle,
        itemStyle: { color: c.color },
        // Few points get a dot each; not on many curves at once (2,500 dots for 50 runs of eval_loss
        // cost more to draw than the lines and say less).
        showSymbol: !c.faint && c.items.length < 60 && curves.length <= 12,
        symbolSize: 4,
        ...(c.faint ? { silent: true, tooltip: { show: false }, symbol: 'none' } : {}),
      });
    }
  }
  // Without ECharts' legend (Compare's exported files): every curve in one series (see curves.ts).
  if (!withLegend) series.push(curvesSeries(shown, input.logScale));
  series.push(bandsSeries(input.bands ? bandsOf(shown) : []));
  // The marks' series is there (empty) when nothing is cut, so the list of series keeps its shape.
  const offScale = offScaleSeries(marks, drawnRange ?? { min: 0, max: 1 }, markTextColour(theme));
  series.push(offScale);
  const { type, name, wholeNumbers } = input.xAxis;
  const time = type === 'time';
  return {
    range,
    cut,
    option: {
      animation: false,
      backgroundColor: 'transparent',
      // The plot keeps exactly these margins: ECharts 6 otherwise shrinks it to fit its labels, and a
      // zoom that changes the labels' width would move the plot under the cursor.
      grid: { ...input.grid, outerBoundsMode: 'none' },
      ...(withLegend ? { legend: { top: 4, type: 'scroll', data: curves.filter((c) => !c.faint).map((c) => c.name) } } : {}),
      // A file of Compare's plot has no hover box (its page has its own, see curve-hover.ts).
      tooltip: withLegend ? { trigger: 'axis', formatter: (params: unknown) => axisTooltip(params, (first) => xLabel(first, wholeNumbers, time)) } : { show: false },
      xAxis: {
        type,
        ...(time ? {} : { name, nameLocation: 'middle', nameGap: 24 }),
        // The window is the axis: no rounding out to "nice" numbers, which would leave strips the query never asked for.
        ...(window ? { min: window.from, max: window.to } : { min: 'dataMin', max: 'dataMax' }),
        ...(wholeNumbers ? { minInterval: 1 } : {}),
        // A zoomed window ends anywhere (1,182.58979...): label the ticks inside it, not its ends.
        axisLabel: { hideOverlap: true, ...(window && !time ? { showMinLabel: false, showMaxLabel: false } : {}) },
      },
      yAxis: {
        ...(input.logScale ? { type: 'log', logBase: 10 } : { type: 'value', scale: true }),
        ...(axisY ?? {}),
        // Short labels: they must fit the fixed left margin.
        axisLabel: { formatter: yLabel, hideOverlap: true },
      },
      series,
    },
  };
}

/**
 * One mark per place: a bucket's max at both its edges and its mean past the range are one finding, as
 * are marks of one curve closer than `near` (the most extreme kept, so labels do not pile up).
 */
function dedupe<T extends { x: number; value: number; color: string; above: boolean }>(marks: T[], near: number): T[] {
  const kept: T[] = [];
  const extreme = (m: T) => (m.above ? m.value : -m.value);
  for (const m of [...marks].sort((a, b) => extreme(b) - extreme(a))) {
    if (!kept.some((k) => k.color === m.color && k.above === m.above && Math.abs(k.x - m.x) <= near)) kept.push(m);
  }
  return kept;
}
