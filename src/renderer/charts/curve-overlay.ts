// Compare's curves drawn on a canvas of our own over the ECharts chart, which keeps the axes, grid,
// bands and off-scale marks (the hover box is curve-hover.ts). With ECharts drawing the curves (one custom
// series of 50 polylines), a zoom's last answer took 13.3 ms to draw (median of 18 zooms); with them drawn
// here straight from the items, and the hover box of our own, 11.3-12.2 ms (10.1 ms on the zooms after a
// page's first), of which the 50 curves take about 1.4 ms. The curves series stays in ECharts' option
// with the same data (it sets the axes' extents, and tests and exports read it) but draws nothing.
import { dotted, traceCurve } from './curves';
import type { Curve } from './line-chart';
import type { echarts } from './useECharts';

/** The zlevel ECharts draws above our curves on (the off-scale marks): a canvas layer of its own. */
export const ABOVE_CURVES_ZLEVEL = 1;

/** The plot's place in the chart (CSS pixels) and the map from data to it. */
export interface Geometry {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Data to CSS pixels, inside the chart. NaN where the axis cannot place the value (log of <= 0). */
  x(v: number): number;
  y(v: number): number;
  /** CSS pixels from the chart's left edge to x. */
  xAt(px: number): number;
}

interface ChartModel {
  getComponent(
    main: string,
    index: number,
  ): { coordinateSystem?: { getRect(): { x: number; y: number; width: number; height: number } }; axis?: { scale: { getExtent(): [number, number] } } } | undefined;
}

/**
 * The map from data to pixels the chart's axes use now. Both axes are affine in their scale (linear,
 * time, or log10 for a log axis), so ECharts' own mapping at two values per axis fixes it.
 */
function geometryOf(chart: echarts.ECharts, logScale: boolean): Geometry | null {
  const model = (chart as unknown as { getModel(): ChartModel | undefined }).getModel();
  const rect = model?.getComponent('grid', 0)?.coordinateSystem?.getRect();
  const xs = model?.getComponent('xAxis', 0)?.axis?.scale.getExtent();
  const ys = model?.getComponent('yAxis', 0)?.axis?.scale.getExtent();
  if (!rect || !xs || !ys || !(rect.width > 0 && rect.height > 0)) return null;
  const toPixel = (x: number, y: number) => chart.convertToPixel({ gridIndex: 0 }, [x, y]) as unknown as [number, number] | undefined;
  // Reference values: each axis' ends (a time axis' milliseconds are too large to take 0 and 1), or on
  // a log axis 1 and 10 (its map is affine in log10 of the value).
  const ends = (e: [number, number]): [number, number] => (e[1] > e[0] ? e : [e[0], e[0] + 1]);
  const [x0, x1] = ends(xs);
  const [y0, y1] = logScale ? [1, 10] : ends(ys);
  const a = toPixel(x0, y0);
  const b = toPixel(x1, y1);
  if (!a || !b || ![...a, ...b].every(Number.isFinite)) return null;
  const sx = (b[0] - a[0]) / (x1 - x0);
  const sy = (b[1] - a[1]) / (logScale ? 1 : y1 - y0); // per unit of y, or per decade on a log axis
  return {
    left: rect.x,
    top: rect.y,
    width: rect.width,
    height: rect.height,
    x: (v) => a[0] + (v - x0) * sx,
    xAt: (px) => x0 + (px - a[0]) / sx,
    y: logScale ? (v) => (v > 0 ? a[1] + Math.log10(v) * sy : NaN) : (v) => a[1] + (v - y0) * sy,
  };
}

/** ECharts' dashes (zrender's normalizeLineDash), so a curve looks as it did when ECharts drew it. */
const dashOf = (type: Curve['lineType'], width: number): number[] => (type === 'dashed' ? [4 * width, 2 * width] : type === 'dotted' ? [width] : []);

/** Draws each curve as traceCurve tells it (lines per stretch, dots), clipped to the plot. */
export function drawCurves(ctx: CanvasRenderingContext2D, curves: Curve[], g: Geometry): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(g.left, g.top, g.width, g.height);
  ctx.clip();
  const pixel: [number, number] = [0, 0]; // one array for every point: 5,000 a zoom
  const toPixel = (x: number, y: number) => ((pixel[0] = g.x(x)), (pixel[1] = g.y(y)), pixel);
  for (const c of curves) {
    const width = c.width ?? 1.6;
    ctx.globalAlpha = c.faint ? 0.25 : 1;
    ctx.strokeStyle = c.color;
    ctx.fillStyle = c.color;
    ctx.lineWidth = width;
    ctx.setLineDash(dashOf(c.lineType, width));
    ctx.beginPath();
    const dots: number[] = [];
    traceCurve(c.items, dotted(c, curves.length), toPixel, {
      point: (x, y, first) => (first ? ctx.moveTo(x, y) : ctx.lineTo(x, y)),
      stretchEnd: () => {},
      dot: (x, y) => dots.push(x, y),
    });
    ctx.stroke();
    if (dots.length) {
      ctx.beginPath();
      for (let i = 0; i < dots.length; i += 2) {
        ctx.moveTo(dots[i]! + 2, dots[i + 1]!);
        ctx.arc(dots[i]!, dots[i + 1]!, 2, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
  }
  ctx.restore();
}

/**
 * The canvas over one chart. `draw` is called after every frame ECharts draws (its 'rendered' event,
 * also for a hover), and draws again only when the curves, the axes or the chart's size changed.
 */
export class CurveOverlay {
  private readonly canvas: HTMLCanvasElement;
  private drawn: { curves: Curve[]; key: string; geometry: Geometry | null } | null = null;

  constructor(readonly chart: echarts.ECharts) {
    const host = chart.getDom();
    if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'chart-curves';
    this.canvas.setAttribute('aria-hidden', 'true');
    host.append(this.canvas);
  }

  /** Called when the curves are drawn anew (a hover box over them is then out of date). */
  onRedraw?: () => void;

  /** The curves drawn last and where. */
  get shown(): { curves: Curve[]; geometry: Geometry | null } {
    return { curves: this.drawn?.curves ?? [], geometry: this.drawn?.geometry ?? null };
  }

  /** `marks`: whether ECharts draws anything above the curves (off-scale marks). */
  draw(curves: Curve[], logScale: boolean, marks = true): void {
    const { chart, canvas } = this;
    // The marks ECharts draws above the curves are on a canvas layer of their own, stacked above ours;
    // hidden while there are none (the page composites every canvas shown on each frame: about 1 ms a
    // zoom for an empty layer).
    const zr = chart.getZr() as unknown as { painter: { getLayer?(zlevel: number): { dom?: HTMLElement } } };
    const above = zr.painter.getLayer?.(ABOVE_CURVES_ZLEVEL)?.dom;
    if (above && above.style.zIndex !== '2') above.style.zIndex = '2';
    const display = marks ? '' : 'none';
    if (above && above.style.display !== display) above.style.display = display;
    const g = geometryOf(chart, logScale);
    const [width, height, dpr] = [chart.getWidth(), chart.getHeight(), window.devicePixelRatio || 1];
    const key = [width, height, dpr, ...(g ? [g.left, g.top, g.width, g.height, g.x(0), g.x(1), g.y(1), g.y(10), logScale] : ['no axes'])].join(' ');
    if (this.drawn?.curves === curves && this.drawn.key === key) return;
    this.drawn = { curves, key, geometry: g };
    this.onRedraw?.();
    // Its CSS box is the chart's (charts.css): never wider than the chart, even for the frame between
    // a resize of the page and ECharts' next drawing.
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (g) drawCurves(ctx, curves, g);
  }
}
