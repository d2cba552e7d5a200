// Compare's curves drawn on the plot's canvas (charts/plot-curves.ts): the same lines, breaks, dots
// and dashes as the ECharts series draws in an exported file (chart-curves.test.ts), into the plot only.
import { describe, expect, it } from 'vitest';
import { drawCurves, type Geometry } from '../../src/renderer/charts/plot-curves';
import type { Curve, Item } from '../../src/renderer/charts/line-chart';

const item = (x: number, y: number | null, n = 1): Item => [x, y, n, x, x];

/** A 2D context that records what is drawn: each stroke's and fill's path, with the style it had. */
function recorder() {
  const ops: { op: string; path: [string, number, number][]; color: string; dash: number[]; alpha: number; width: number }[] = [];
  let path: [string, number, number][] = [];
  let dash: number[] = [];
  const ctx = {
    strokeStyle: '',
    fillStyle: '',
    lineWidth: 1,
    globalAlpha: 1,
    clipped: null as null | number[],
    save() {},
    restore() {},
    beginPath: () => (path = []),
    rect: (x: number, y: number, w: number, h: number) => (ctx.clipped = [x, y, w, h]),
    clip() {},
    moveTo: (x: number, y: number) => path.push(['M', x, y]),
    lineTo: (x: number, y: number) => path.push(['L', x, y]),
    arc: (x: number, y: number) => path.push(['dot', x, y]),
    setLineDash: (d: number[]) => (dash = d),
    stroke: () => ops.push({ op: 'stroke', path, color: ctx.strokeStyle, dash, alpha: ctx.globalAlpha, width: ctx.lineWidth }),
    fill: () => ops.push({ op: 'fill', path: path.filter((p) => p[0] === 'dot'), color: ctx.fillStyle, dash, alpha: ctx.globalAlpha, width: ctx.lineWidth }),
  };
  return { ctx, ops };
}

// A plot 1000 x 400 px at (10, 10) for x 0..100 and y 0..10 (y grows upward); a log y axis over 1e-2..1e2.
const linear: Geometry = { left: 10, top: 10, width: 1000, height: 400, x: (v) => 10 + v * 10, y: (v) => 410 - v * 40, xAt: (px) => (px - 10) / 10 };
const log: Geometry = { ...linear, y: (v) => (v > 0 ? 410 - (Math.log10(v) + 2) * 100 : NaN) };

describe('curves drawn over the chart', () => {
  const a: Curve = { name: 'a', color: '#111', items: [item(0, 1), item(10, 2), item(20, null), item(30, 4), item(40, 5), item(50, null), item(60, 7), item(70, null)] };
  const b: Curve = { name: 'b', color: '#222', lineType: 'dashed', width: 2, items: [item(5, 3, 0), item(15, 9, 250), item(25, 1, 250), item(35, 2, 0)] };
  const flat: Curve = { name: 'flat', color: '#333', items: [item(0, 2), item(100, 2)] };
  const many = (...curves: Curve[]) => [...curves, ...Array.from({ length: 12 }, (_, i): Curve => ({ ...flat, name: `other ${i}` }))];

  it('draws each stretch of values as a line and a lone point as a dot, into the plot only', () => {
    const { ctx, ops } = recorder();
    drawCurves(ctx as unknown as CanvasRenderingContext2D, many(a, b), linear);
    expect(ctx.clipped).toEqual([10, 10, 1000, 400]);
    const [lines, dots] = ops;
    expect(lines).toMatchObject({ op: 'stroke', color: '#111', dash: [], alpha: 1, width: 1.6 });
    expect(lines!.path).toEqual([
      ['M', 10, 370],
      ['L', 110, 330],
      ['M', 310, 250],
      ['L', 410, 210],
      ['M', 610, 130], // a move alone strokes nothing: the lone point is the dot below
    ]);
    expect(dots).toMatchObject({ op: 'fill', color: '#111', path: [['dot', 610, 130]] });
    // ECharts' dashes for a dashed line of width 2; the edges' items (n = 0) are drawn, as ECharts draws them.
    expect(ops[2]).toMatchObject({ op: 'stroke', color: '#222', dash: [8, 4], width: 2 });
    expect(ops[2]!.path.map(([op, x]) => [op, x])).toEqual([
      ['M', 60],
      ['L', 160],
      ['L', 260],
      ['L', 360],
    ]);
  });

  it('puts a dot on each point of few curves with few points, but not on the edges outside the window', () => {
    const { ctx, ops } = recorder();
    drawCurves(ctx as unknown as CanvasRenderingContext2D, [b], linear);
    expect(ops[1]).toMatchObject({
      op: 'fill',
      path: [
        ['dot', 160, 50],
        ['dot', 260, 370],
      ],
    });
  });

  it('breaks a line at values a log axis cannot place, and draws a raw curve under a smoothed one faintly', () => {
    const { ctx, ops } = recorder();
    const c: Curve = { name: 'c', color: '#444', faint: true, width: 1, items: [item(0, 1), item(10, 0), item(20, 10), item(30, 100)] };
    drawCurves(ctx as unknown as CanvasRenderingContext2D, many(c), log);
    expect(ops[0]).toMatchObject({ op: 'stroke', alpha: 0.25, width: 1 });
    expect(ops[0]!.path).toEqual([
      ['M', 10, 210],
      ['M', 210, 110],
      ['L', 310, 10],
    ]);
    // The lone point before the break is a dot (faint, like its line).
    expect(ops[1]).toMatchObject({ op: 'fill', alpha: 0.25, path: [['dot', 10, 210]] });
  });
});
