// Many curves drawn as one series (Compare's exported files): what each curve's polylines are, where the
// hover box finds each curve's value, and what the series tells the axes about each curve.
import { describe, expect, it } from 'vitest';
import { snapX } from '../../src/renderer/charts/curve-hover';
import { curvesAt, curvesSeries, nearestItem } from '../../src/renderer/charts/curves';
import type { Curve, Item } from '../../src/renderer/charts/line-chart';

const item = (x: number, y: number | null, n = 1): Item => [x, y, n, x, x];

type Shape = { type: string; shape: { points?: [number, number][]; cx?: number; cy?: number }; style: Record<string, unknown> };
type Series = {
  data: { name: string; value: (number | null)[] }[];
  renderItem: (params: { dataIndex: number }, api: { coord(v: [number, number]): [number, number] }) => { children: Shape[] };
};

// A plot 1000 x 400 px for x 0..100 and y 0..10 (y grows upward), and a log y axis over 1e-2..1e2.
const linear = { coord: ([x, y]: [number, number]): [number, number] => [10 + x * 10, 410 - y * 40] };
const log = { coord: ([x, y]: [number, number]): [number, number] => [10 + x * 10, y > 0 ? 410 - (Math.log10(y) + 2) * 100 : NaN] };

describe('curves drawn as one series', () => {
  const a: Curve = { name: 'a', color: '#111', items: [item(0, 1), item(10, 2), item(20, null), item(30, 4), item(40, 5), item(50, null), item(60, 7), item(70, null)] };
  const b: Curve = { name: 'b', color: '#222', lineType: 'dashed', items: [item(5, 3, 0), item(15, 9, 250), item(25, 1, 250), item(35, 2, 0)] };
  const flat: Curve = { name: 'flat', color: '#333', items: [item(0, 2), item(100, 2)] };

  // More than 12 curves: no dot on each point (2,500 dots for 50 runs say less than the lines).
  const many = (...curves: Curve[]) => [...curves, ...Array.from({ length: 12 }, (_, i): Curve => ({ ...flat, name: `other ${i}` }))];

  it('draws each stretch of values as a polyline, a lone point as a dot, and maps exactly as the axes do', () => {
    const series = curvesSeries(many(a, b, flat)) as Series;
    const drawnA = series.renderItem({ dataIndex: 0 }, linear).children;
    expect(drawnA.map((c) => c.type)).toEqual(['polyline', 'polyline', 'circle']);
    expect(drawnA[0]!.shape.points).toEqual([linear.coord([0, 1]), linear.coord([10, 2])]);
    expect(drawnA[1]!.shape.points).toEqual([linear.coord([30, 4]), linear.coord([40, 5])]);
    expect([drawnA[2]!.shape.cx, drawnA[2]!.shape.cy]).toEqual(linear.coord([60, 7]));
    expect(drawnA[0]!.style).toMatchObject({ stroke: '#111', lineDash: 'solid', fill: 'none' });
    const drawnB = series.renderItem({ dataIndex: 1 }, linear).children;
    expect(drawnB).toHaveLength(1);
    expect(drawnB[0]!.style).toMatchObject({ stroke: '#222', lineDash: 'dashed' });
    for (const [i, [x, y]] of b.items.map((it) => [it[0], it[1]!] as const).entries()) {
      const [px, py] = drawnB[0]!.shape.points![i]!;
      expect(px).toBeCloseTo(linear.coord([x, y])[0], 9);
      expect(py).toBeCloseTo(linear.coord([x, y])[1], 9);
    }
    // A flat curve cannot fix a map from its own extent: each point goes through the axes.
    expect(series.renderItem({ dataIndex: 2 }, linear).children[0]!.shape.points).toEqual([linear.coord([0, 2]), linear.coord([100, 2])]);
  });

  it('puts a dot on each point of a few short curves, not on the edges outside the window', () => {
    const children = (curvesSeries([b]) as Series).renderItem({ dataIndex: 0 }, linear).children;
    expect(children.map((c) => c.type)).toEqual(['circle', 'circle', 'polyline']);
    expect(children.slice(0, 2).map((c) => [c.shape.cx, c.shape.cy])).toEqual([linear.coord([15, 9]), linear.coord([25, 1])]);
  });

  it('on a log axis leaves out what the axis cannot place (zero and below), breaking the line there', () => {
    const c: Curve = { name: 'c', color: '#444', items: [item(0, 10), item(10, 1), item(20, 0), item(30, 0.1), item(40, 0.01)] };
    const children = (curvesSeries(many(c), true) as Series).renderItem({ dataIndex: 0 }, log).children;
    expect(children.map((x) => x.shape.points)).toEqual([
      [log.coord([0, 10]), log.coord([10, 1])],
      [log.coord([30, 0.1]), log.coord([40, 0.01])],
    ]);
  });

  it('tells the axes each curve: x and y extent, the points it stands for, its items', () => {
    const series = curvesSeries([a, b, { ...b, name: 'raw b', faint: true }]) as Series;
    expect(series.data).toEqual([
      { name: 'a', value: [0, 70, 1, 7, 8, 8, 0] },
      { name: 'b', value: [5, 35, 1, 9, 500, 4, 0] },
      { name: 'raw b', value: [5, 35, 1, 9, 500, 4, 1] },
    ]);
  });

  it('snaps the hover box to the nearest x any curve has an item at (not a faint one)', () => {
    expect(snapX([a, b, { ...flat, faint: true }], 12)).toBe(10);
    expect(snapX([a, b], 13)).toBe(15);
    expect(snapX([a, b], 1000)).toBe(70);
    expect(snapX([{ ...b, faint: true }], 13)).toBeUndefined();
  });
});

describe('the hover box', () => {
  it('finds the nearest item on either side, and the first of two equally near', () => {
    const items = [item(0, 1), item(10, 2), item(20, 3)];
    expect(nearestItem(items, -5)).toBe(items[0]);
    expect(nearestItem(items, 4)).toBe(items[0]);
    expect(nearestItem(items, 5)).toBe(items[0]);
    expect(nearestItem(items, 6)).toBe(items[1]);
    expect(nearestItem(items, 99)).toBe(items[2]);
    expect(nearestItem([], 1)).toBeUndefined();
    // Out of x order (a wall-time axis after the clock was set back): every item is looked at.
    const unordered = [item(0, 1), item(30, 2), item(10, 3), item(20, 4)];
    expect(nearestItem(unordered, 11, false)).toBe(unordered[2]);
    expect(nearestItem(unordered, 29, false)).toBe(unordered[1]);
  });

  it('finds the value of a curve whose items are out of x order', () => {
    const c: Curve = { name: 'clock set back', color: '#111', items: [item(100, 1), item(300, 3), item(200, 2)] };
    expect(curvesAt(210, [c]).rows).toEqual([{ name: 'clock set back', color: '#111', value: 2 }]);
    expect(curvesAt(300, [c]).at).toBe(c.items[1]);
  });

  it('lists the curves that reach x with their value there, titled from a bucket at exactly x', () => {
    const bucket: Item = [15, 0.5, 250, 10, 20];
    const curves: Curve[] = [
      { name: 'high', color: '#111', items: [item(0, 3), item(15, 2.5), item(30, 2)] },
      { name: 'low', color: '#222', items: [item(0, 1), bucket, item(30, 0.25)] },
      { name: 'gap', color: '#333', items: [item(0, 1), item(15, null), item(30, 1)] },
      { name: 'ended', color: '#444', items: [item(0, 1), item(5, 1)] },
      { name: 'raw', color: '#555', items: [item(15, 9)], faint: true },
    ];
    const { at, rows } = curvesAt(15, curves);
    expect(at).toBe(bucket);
    expect(rows).toEqual([
      { name: 'high', color: '#111', value: 2.5 },
      { name: 'low', color: '#222', value: 0.5 },
      { name: 'gap', color: '#333', value: null },
    ]);
    // Between items: each curve's nearest; no item at exactly x to title it.
    expect(curvesAt(22, curves)).toEqual({
      at: undefined,
      rows: [
        { name: 'high', color: '#111', value: 2.5 },
        { name: 'low', color: '#222', value: 0.5 },
        { name: 'gap', color: '#333', value: null },
      ],
    });
  });
});
