// Compare's chart, drawn by us on two canvases: the grid, axes and labels on one, the min/max bands,
// curves and off-scale marks over it on the other. ECharts drew all but the curves until a zoom's last
// draw measured 10-11 ms after its last answer, 6-7 of them ECharts updating its model, axes and layers
// for a new x and y range (zooms with ECharts left out of the last draw took 1.30-1.36x their queries
// against 1.50-1.51x with it). Exports still go through ECharts (export.ts), from the same scene's
// option, so the files look as before. The look follows ECharts' defaults, which the run page keeps.
import type { Theme } from '../theme';
import { bandOutline, stretches, type Band } from './band';
import type { DrawnState } from './chart-state';
import { drawCurves, type Geometry } from './plot-curves';
import { itemStats } from './curve-stats';
import type { Curve } from './line-chart';
import { logTicks, timeTicks, valueTicks, type Tick } from './ticks';
import { markShapes, markTextColour, type OffScale, type YRange } from './y-range';

/** Everything the plot draws. */
export interface PlotScene {
  /** The curves to draw (those switched off are left out). */
  curves: Curve[];
  bands: Band[];
  marks: OffScale[];
  /** The y range the marks are for (where the axis cuts values off). */
  markRange: YRange | null;
  x: { from: number; to: number; time: boolean; name: string; wholeNumbers: boolean };
  /** The y axis; `interval` where it is rounded out to whole steps. */
  y: { min: number; max: number; interval?: number; log: boolean; label: (v: number) => string };
  theme: Theme;
}

/** The plot's margins inside the chart (the axes' labels and name are drawn in them). */
export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** ECharts' default colours for axes, labels and the grid, in its light and dark themes. */
const COLOURS = {
  light: { axis: '#6E7079', label: '#6E7079', split: '#E0E6F1' },
  dark: { axis: '#B9B8CE', label: '#B9B8CE', split: '#484753' },
};
const FONT = '12px sans-serif';

/** The map from data to pixels for a plot of `width` x `height` CSS pixels. */
export function plotGeometry(scene: Pick<PlotScene, 'x' | 'y'>, width: number, height: number, m: Margins): Geometry | null {
  const [left, top] = [m.left, m.top];
  const [w, h] = [width - m.left - m.right, height - m.top - m.bottom];
  const { from, to } = scene.x;
  const log = scene.y.log;
  const [y0, y1] = log ? [Math.log10(scene.y.min), Math.log10(scene.y.max)] : [scene.y.min, scene.y.max];
  if (!(w > 0 && h > 0) || !(to > from) || !(y1 > y0) || ![from, to, y0, y1].every(Number.isFinite)) return null;
  const sx = w / (to - from);
  const sy = h / (y1 - y0);
  return {
    left,
    top,
    width: w,
    height: h,
    x: (v) => left + (v - from) * sx,
    xAt: (px) => from + (px - left) / sx,
    y: log ? (v) => (v > 0 ? top + h - (Math.log10(v) - y0) * sy : NaN) : (v) => top + h - (v - y0) * sy,
  };
}

/** The ticks of both axes for a plot of the geometry's size, labels `width(label)` px wide. */
export function plotTicks(scene: Pick<PlotScene, 'x' | 'y'>, g: Geometry, width: (label: string) => number): { x: Tick[]; y: Tick[] } {
  const { x, y } = scene;
  const xTicks = x.time ? timeTicks(x.from, x.to, g.width, width) : valueTicks(x.from, x.to, g.width, width, x.wholeNumbers);
  // Rows of labels 12 px high, 8 apart at least: the width the y labels take is their height here.
  let yTicks = y.log ? logTicks(y.min, y.max, y.label) : valueTicks(y.min, y.max, g.height, () => 12, false, y.interval).map((t) => ({ value: t.value, label: y.label(t.value) }));
  // A log axis cut to less than a decade may hold no 1, 2 or 5 times a power of ten: label its ends (as ECharts did).
  if (y.log && yTicks.length < 2) yTicks = [y.min, ...yTicks.map((t) => t.value).filter((v) => v > y.min && v < y.max), y.max].map((value) => ({ value, label: y.label(value) }));
  return { x: xTicks, y: yTicks };
}

/** The grid, the axes with their ticks and labels, and the x axis' name. */
export function drawAxes(ctx: CanvasRenderingContext2D, scene: PlotScene, g: Geometry): void {
  const c = COLOURS[scene.theme];
  ctx.font = FONT;
  const measure = new Map<string, number>();
  const width = (s: string) => measure.get(s) ?? (measure.set(s, ctx.measureText(s).width), measure.get(s)!);
  const ticks = plotTicks(scene, g, width);
  const [bottom, right] = [g.top + g.height, g.left + g.width];
  const crisp = (v: number) => Math.round(v) + 0.5; // a 1 px line on a pixel, not across two
  ctx.lineWidth = 1;
  ctx.strokeStyle = c.split;
  ctx.beginPath();
  for (const t of ticks.y) {
    const y = crisp(g.y(t.value));
    ctx.moveTo(g.left, y);
    ctx.lineTo(right, y);
  }
  for (const t of ticks.x) {
    const x = crisp(g.x(t.value));
    ctx.moveTo(x, g.top);
    ctx.lineTo(x, bottom);
  }
  ctx.stroke();
  ctx.strokeStyle = c.axis;
  ctx.beginPath();
  ctx.moveTo(g.left, crisp(bottom));
  ctx.lineTo(right, crisp(bottom));
  ctx.moveTo(crisp(g.left), g.top);
  ctx.lineTo(crisp(g.left), bottom);
  for (const t of ticks.x) {
    const x = crisp(g.x(t.value));
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 5);
  }
  for (const t of ticks.y) {
    const y = crisp(g.y(t.value));
    ctx.moveTo(g.left - 5, y);
    ctx.lineTo(g.left, y);
  }
  ctx.stroke();
  ctx.fillStyle = c.label;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks.x) ctx.fillText(t.label, g.x(t.value), bottom + 8);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ticks.y) ctx.fillText(t.label, g.left - 8, g.y(t.value));
  if (scene.x.name) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(scene.x.name, g.left + g.width / 2, bottom + 30);
  }
}

/** Each band as filled outlines (lower edge left to right, upper edge back), clipped to the plot. */
export function drawBands(ctx: CanvasRenderingContext2D, bands: Band[], g: Geometry): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(g.left, g.top, g.width, g.height);
  ctx.clip();
  for (const band of bands) {
    ctx.beginPath();
    for (const part of stretches(band.lower, band.upper)) {
      const points = bandOutline(part, (x, y) => [g.x(x), g.y(y)]);
      if (!points) continue;
      points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
    }
    ctx.fillStyle = band.color;
    ctx.globalAlpha = band.fillOpacity;
    ctx.fill();
    if (band.edgeWidth > 0) {
      ctx.globalAlpha = band.edgeOpacity;
      ctx.strokeStyle = band.color;
      ctx.lineWidth = band.edgeWidth;
      ctx.stroke();
    }
  }
  ctx.restore();
}

/** The off-scale marks: a triangle at the edge each value is past, and the value beside it. */
export function drawMarks(ctx: CanvasRenderingContext2D, marks: OffScale[], range: YRange, g: Geometry, theme: Theme): void {
  const text = markTextColour(theme);
  ctx.font = '10px sans-serif';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 0.5;
  for (const m of markShapes(marks, range, (x, y) => [g.x(x), g.y(y)], { x: g.left, width: g.width })) {
    ctx.beginPath();
    m.triangle.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.closePath();
    ctx.fillStyle = m.color;
    ctx.fill();
    ctx.strokeStyle = text;
    ctx.stroke();
    ctx.fillStyle = text;
    ctx.textAlign = m.align;
    ctx.fillText(m.text, m.textX, m.textY);
  }
}

/** The x extent of curves and bands (Infinity and -Infinity when empty), and their highest value. */
export function drawnExtent(curves: Curve[], bands: Band[]): { from: number; to: number; highest: number } {
  let [from, to, highest] = [Infinity, -Infinity, -Infinity];
  for (const c of curves) {
    const stats = itemStats(c.items);
    if (stats.x0 < from) from = stats.x0;
    if (stats.x1 > to) to = stats.x1;
    if (stats.highest > highest) highest = stats.highest;
  }
  for (const b of bands) {
    for (const [x, hi] of b.upper) {
      if (x < from) from = x;
      if (x > to) to = x;
      if (hi !== null && hi > highest) highest = hi;
    }
  }
  return { from, to, highest };
}

/** What the plot drew, for tests and the benchmark (the same as an ECharts chart tells, see chart-state.ts). */
export function plotState(scene: PlotScene, g: Geometry): DrawnState {
  const { from: drawnFrom, to: drawnTo, highest } = drawnExtent(scene.curves, scene.bands);
  let items = 0;
  const covered: Record<string, number> = {};
  for (const c of scene.curves) {
    if (c.faint) continue;
    items += c.items.length;
    covered[c.name] = (covered[c.name] ?? 0) + itemStats(c.items).n;
  }
  return {
    axisFrom: scene.x.from,
    axisTo: scene.x.to,
    yMin: scene.y.min,
    yMax: scene.y.max,
    plotLeft: g.left,
    plotWidth: g.width,
    drawnFrom,
    drawnTo,
    items,
    covered,
    highest,
    offScale: scene.marks.map((m) => m.x),
    theme: scene.theme,
  };
}

/** A canvas filling the host element, sized to it in device pixels and cleared; null without a 2D context. */
function prepare(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** The plot's two canvases in a host element; `draw` draws a scene at the host's size. */
export class Plot {
  private readonly axes: HTMLCanvasElement;
  /** The bands, curves and marks, over the axes. */
  private readonly over: HTMLCanvasElement;
  private drawn: { scene: PlotScene; geometry: Geometry | null } | null = null;

  constructor(
    readonly host: HTMLElement,
    private readonly margins: Margins,
  ) {
    if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
    // Both take the host's CSS box (charts.css): never wider than it, even between a resize and a draw.
    this.axes = document.createElement('canvas');
    this.axes.className = 'chart-axes';
    this.over = document.createElement('canvas');
    this.over.className = 'chart-curves';
    for (const c of [this.axes, this.over]) c.setAttribute('aria-hidden', 'true');
    host.prepend(this.axes, this.over);
  }

  /** Called when the plot is drawn anew (a hover box over it is then out of date). */
  onRedraw?: () => void;

  /** The curves drawn last and where. */
  get shown(): { curves: Curve[]; geometry: Geometry | null } {
    return { curves: this.drawn?.scene.curves ?? [], geometry: this.drawn?.geometry ?? null };
  }

  /** The plot area in CSS pixels from the host's left edge (for zooming). */
  area(): { left: number; width: number } | null {
    const g = this.drawn?.geometry;
    return g ? { left: g.left, width: g.width } : null;
  }

  /** Draws the scene; returns what was drawn (null when the host has no size or the axes no range). */
  draw(scene: PlotScene): DrawnState | null {
    const [width, height] = [this.host.clientWidth, this.host.clientHeight];
    const g = plotGeometry(scene, width, height, this.margins);
    this.drawn = { scene, geometry: g };
    this.onRedraw?.();
    const axes = prepare(this.axes, width, height);
    const over = prepare(this.over, width, height);
    if (!g || !axes || !over) return null;
    drawAxes(axes, scene, g);
    if (scene.bands.length) drawBands(over, scene.bands, g);
    drawCurves(over, scene.curves, g);
    if (scene.markRange && scene.marks.length) drawMarks(over, scene.marks, scene.markRange, g, scene.theme);
    return plotState(scene, g);
  }

  remove(): void {
    this.axes.remove();
    this.over.remove();
  }
}
