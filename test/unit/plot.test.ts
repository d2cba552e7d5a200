// Compare's plot drawn by us (charts/plot.ts, ticks.ts, plot-scene.ts): ticks where ECharts put them and
// labels that never overlap, the extents ECharts used to work out made explicit, and what the plot says
// it drew (the tests' and the benchmark's data-* attributes).
import { describe, expect, it } from 'vitest';
import type { Curve, Item, LineChartScene } from '../../src/renderer/charts/line-chart';
import { lineChartScene } from '../../src/renderer/charts/line-chart';
import { plotGeometry, plotState, plotTicks } from '../../src/renderer/charts/plot';
import { plotScene, type PlotAxes } from '../../src/renderer/charts/plot-scene';
import { logTicks, niceInterval, timeTicks, valueTicks } from '../../src/renderer/charts/ticks';

const width = (s: string) => s.length * 7; // about 12 px sans-serif
const values = (ticks: { value: number }[]) => ticks.map((t) => t.value);
const item = (x: number, y: number | null, n = 1): Item => [x, y, n, x, x];

describe('axis ticks', () => {
  it('picks nice numbers as ECharts does: 1, 2, 3 or 5 times a power of ten, about five a range', () => {
    expect([0.13, 0.4, 2.2, 3.98, 6, 8].map(niceInterval)).toEqual([0.1, 0.5, 2, 3, 5, 10]);
    expect(values(valueTicks(1, 1990, 1000, width))).toEqual([300, 600, 900, 1200, 1500, 1800]);
    expect(valueTicks(1, 1990, 1000, width).map((t) => t.label)).toEqual(['300', '600', '900', '1,200', '1,500', '1,800']);
    expect(values(valueTicks(0, 1, 400, width))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]); // exact, not 0.6000000000000001
  });

  it('ticks a zoomed window inside it, and only whole steps on a step axis', () => {
    expect(values(valueTicks(15914.4, 65913.9, 1000, width))).toEqual([20000, 30000, 40000, 50000, 60000]);
    expect(values(valueTicks(10.2, 12.7, 1000, width, true))).toEqual([11, 12]);
    expect(values(valueTicks(10.2, 12.7, 1000, width, false))).toEqual([10.5, 11, 11.5, 12, 12.5]);
  });

  it('spaces labels so that none touches the next, however narrow the plot', () => {
    for (const [from, to, px] of [
      [0, 1e9, 120],
      [0, 1_000_000, 300],
      [1234.5, 1234.50001, 500],
    ] as const) {
      const ticks = valueTicks(from, to, px, width);
      expect(ticks.length).toBeGreaterThan(0);
      for (let i = 1; i < ticks.length; i++) {
        const gap = ((ticks[i]!.value - ticks[i - 1]!.value) * px) / (to - from);
        expect(gap).toBeGreaterThanOrEqual((width(ticks[i]!.label) + width(ticks[i - 1]!.label)) / 2 + 8);
      }
    }
  });

  it('uses the y axis its own whole steps, and powers of ten (with 2 and 5 over few decades) on a log axis', () => {
    expect(values(valueTicks(0.5, 3.5, 300, () => 12, false, 0.5))).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    expect(values(logTicks(0.01, 100, String))).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(values(logTicks(1, 50, String))).toEqual([1, 2, 5, 10, 20, 50]);
    expect(logTicks(0, 10, String)).toEqual([]);
  });

  it('ticks wall time on whole minutes of the local clock, the date at midnight', () => {
    const at = (h: number, m: number) => new Date(2026, 10, 29, h, m).getTime();
    const ticks = timeTicks(at(10, 2), at(11, 0), 1000, width);
    expect(ticks.map((t) => t.label)).toEqual(['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
    // A deep zoom into points logged close together: milliseconds.
    const deep = timeTicks(at(10, 2), at(10, 2) + 400, 1000, width);
    expect(deep.map((t) => t.label)).toEqual(['10:02:00.000', '10:02:00.100', '10:02:00.200', '10:02:00.300', '10:02:00.400']);
    const night = timeTicks(at(20, 0), at(28, 0), 800, width); // 20:00 to 04:00 the next day
    expect(night.map((t) => t.label)).toEqual(['20:00', '22:00', 'Nov 30', '02:00', '04:00']);
    const days = timeTicks(at(0, 0), at(24 * 20, 0), 800, width);
    expect(days.length).toBeGreaterThan(2);
    expect(days.every((t) => /^[A-Z][a-z]{2} \d+$/.test(t.label) && new Date(t.value).getHours() === 0)).toBe(true);
    const decades = timeTicks(at(0, 0), at(24 * 365 * 30, 0), 800, width); // decades of wall time still ticked, by year
    expect(decades.length).toBeGreaterThan(2);
    expect(decades.every((t) => /^\d{4}$/.test(t.label) && new Date(t.value).getMonth() === 0 && new Date(t.value).getDate() === 1)).toBe(true);
  });

  it('keeps midnights and whole hours on the local clock across the end of daylight saving time', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin'; // Node reads it again for each date: clocks go back on Oct 25, 2026
    try {
      for (const [month, day] of [
        [9, 24],
        [9, 31],
      ]) {
        const start = new Date(2026, month!, day!, 12).getTime();
        const byDay = timeTicks(start, start + 8 * 86_400_000, 800, width); // steps of two days
        const byHours = timeTicks(start, start + 36 * 3_600_000, 800, width);
        expect(byDay.length).toBeGreaterThan(1);
        expect(byDay.every((t) => new Date(t.value).getHours() === 0 && new Date(t.value).getMinutes() === 0)).toBe(true);
        expect(byHours.every((t) => new Date(t.value).getHours() % 6 === 0 && new Date(t.value).getMinutes() === 0)).toBe(true);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('ticks months and years on their first day', () => {
    const at = (h: number, m: number) => new Date(2026, 10, 29, h, m).getTime();
    const months = timeTicks(at(0, 0), at(24 * 200, 0), 800, width);
    expect(months.map((t) => t.label)).toEqual(['Jan 2027', 'Apr 2027']); // 200 days from Nov 29: quarters, on their first day
    expect(months.every((t) => new Date(t.value).getDate() === 1 && new Date(t.value).getHours() === 0)).toBe(true);
  });
});

describe('the plot scene', () => {
  const axes: PlotAxes = { window: null, time: false, name: 'step', wholeNumbers: true, logScale: false, bands: false, theme: 'light' };
  const curve = (name: string, items: Item[], band?: Curve['band']): Curve => ({ name, color: '#123456', items, band: band ?? null });
  const sceneOf = (curves: Curve[], logScale = false): LineChartScene => lineChartScene({ curves, window: null, logScale, robust: true, hidden: new Set() });

  it('spans the data when zoomed out, the window when zoomed, and rounds the y axis out to whole steps', () => {
    const curves = [curve('a', [item(10, 1.12), item(20, 2.9)]), curve('b', [item(5, 1.5), item(40, 2)])];
    const s = plotScene(sceneOf(curves), axes);
    expect(s.x).toMatchObject({ from: 5, to: 40, name: 'step', wholeNumbers: true });
    expect(s.y).toMatchObject({ min: 1, max: 3, interval: 0.5, log: false });
    expect(plotScene(sceneOf(curves), { ...axes, window: { from: 12, to: 18 } }).x).toMatchObject({ from: 12, to: 18 });
  });

  it('gives one point and one flat value room around them as ECharts did, and draws an empty chart on a unit range', () => {
    const s = plotScene(sceneOf([curve('a', [item(7, 2)])]), axes);
    expect([s.x.from, s.x.to]).toEqual([3.5, 10.5]);
    expect([s.y.min, s.y.max]).toEqual([1, 3]);
    // A flat learning rate: its own value, not an axis from -1 to 1.
    const lr = plotScene(sceneOf([curve('lr', [item(1, 3e-4), item(2, 3e-4)])]), axes);
    expect(lr.y.min).toBeGreaterThan(0);
    expect(lr.y.min).toBeLessThanOrEqual(3e-4);
    expect(lr.y.max).toBeLessThanOrEqual(5e-4);
    const empty = plotScene(sceneOf([]), axes);
    expect([empty.x.from, empty.x.to, empty.y.min, empty.y.max]).toEqual([0, 1, 0, 1]);
  });

  it('rounds a log axis out to whole decades; one with a value it cannot place (zero) is its range, the zero marked, its ends labelled', () => {
    const s = plotScene(sceneOf([curve('a', [item(2, 0.03), item(3, 42)])], true), { ...axes, logScale: true });
    expect(s.y).toMatchObject({ min: 0.01, max: 100, log: true });
    const zero = plotScene(sceneOf([curve('a', [item(1, 0), item(2, 0.03), item(3, 42)])], true), { ...axes, logScale: true });
    expect(zero.y.min).toBeCloseTo(0.03, 9);
    expect(zero.y.max).toBeCloseTo(42, 9);
    expect(zero.marks.map((m) => [m.x, m.value, m.above])).toEqual([[1, 0, false]]);
    // Cut to less than a decade, with no 1, 2 or 5 times a power of ten inside: the ends are its ticks.
    const narrow = plotScene(sceneOf([curve('a', [item(1, 0), item(2, 2.6), item(3, 4.8)])], true), { ...axes, logScale: true });
    const g = plotGeometry(narrow, 1000, 400, { left: 64, right: 28, top: 16, bottom: 48 })!;
    expect(plotTicks(narrow, g, width).y.map((t) => t.label)).toEqual(['2.6', '4.8']);
  });

  it('says what it drew: the axes, the plot, and the points each curve stands for', () => {
    const curves = [curve('a', [item(0, 1, 0), item(10, 2, 250), item(20, 3, 250)]), { ...curve('a', [item(0, 1)]), faint: true }];
    const s = plotScene(sceneOf(curves), { ...axes, window: { from: 2, to: 18 } });
    const g = plotGeometry(s, 1000, 400, { left: 64, right: 28, top: 16, bottom: 48 })!;
    expect([g.left, g.width, g.x(2), g.x(18), g.y(s.y.min), g.y(s.y.max)]).toEqual([64, 908, 64, 972, 352, 16]);
    const state = plotState(s, g);
    expect(state).toMatchObject({ axisFrom: 2, axisTo: 18, plotLeft: 64, plotWidth: 908, drawnFrom: 0, drawnTo: 20, items: 3, covered: { a: 500 }, highest: 3, offScale: [] });
    expect(plotTicks(s, g, width).x.map((t) => t.value)).toEqual([3, 6, 9, 12, 15, 18]);
  });
});
