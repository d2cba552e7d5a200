// What an ECharts instance has drawn, read from its own model after a render (not from the option we
// gave it): the x axis' extent, the plot area, the x extent and count of the line data it holds, and
// the points those lines stand for (Compare's plot tells the same of itself, see plot.ts). Written on
// the chart element as data-* attributes, which the tests and the benchmark read.
import type { echarts } from './useECharts';

interface SeriesData {
  count(): number;
  mapDimensionsAll(coord: string): string[];
  getDataExtent(dim: string): [number, number];
  getByRawIndex?(dim: string, rawIndex: number): unknown;
  get(dim: string | number, idx: number): unknown;
  getSum?(dim: string): number;
  getDimension?(i: number): string;
}
interface SeriesModel {
  subType: string;
  id: string;
  name: string;
  getData(): SeriesData;
  get(path: string): unknown;
}
interface Model {
  getTheme?(): { get(key: string): unknown };
  getComponent(
    main: string,
    index: number,
  ): { axis?: { scale: { getExtent(): [number, number] } }; coordinateSystem?: { getRect(): { x: number; y: number; width: number; height: number } } } | undefined;
  eachSeries(cb: (s: SeriesModel) => void): void;
}

export interface DrawnState {
  axisFrom: number;
  axisTo: number;
  yMin: number;
  yMax: number;
  plotLeft: number;
  plotWidth: number;
  /** The x extent of everything drawn (lines and bands). */
  drawnFrom: number;
  drawnTo: number;
  /** Data items of the line series (points or buckets). */
  items: number;
  /** Per line name: the points its items stand for (dimension 2 of each item: 1 for a point, the bucket's count for a bucket). */
  covered: Record<string, number>;
  /** The highest value drawn anywhere (a band's max included). */
  highest: number;
  /** x of each off-scale mark. */
  offScale: number[];
  /** The theme ECharts draws in now. */
  theme: 'dark' | 'light';
}

export function readDrawnState(chart: echarts.ECharts): DrawnState | null {
  const model = (chart as unknown as { getModel(): Model | undefined }).getModel();
  if (!model) return null;
  const x = model.getComponent('xAxis', 0)?.axis?.scale.getExtent();
  const y = model.getComponent('yAxis', 0)?.axis?.scale.getExtent();
  const rect = model.getComponent('grid', 0)?.coordinateSystem?.getRect();
  if (!x || !y || !rect) return null;
  let [drawnFrom, drawnTo, highest, items] = [Infinity, -Infinity, -Infinity, 0];
  const covered: Record<string, number> = {};
  const offScale: number[] = [];
  model.eachSeries((s) => {
    const data = s.getData();
    if (s.id === 'off-scale') {
      for (let i = 0; i < data.count(); i++) offScale.push(Number(data.get(data.mapDimensionsAll('x')[0]!, i)));
      return;
    }
    for (const dim of data.mapDimensionsAll('x')) {
      const [a, b] = data.getDataExtent(dim);
      if (a < drawnFrom) drawnFrom = a;
      if (b > drawnTo) drawnTo = b;
    }
    for (const dim of data.mapDimensionsAll('y')) {
      const [, b] = data.getDataExtent(dim);
      if (b > highest) highest = b;
    }
    if (s.subType !== 'line' || s.get('silent')) return;
    items += data.count();
    // One pass in ECharts' own store (a get() per item cost ~8 ms a chart with 50 runs, on every draw).
    const n = data.getSum ? data.getSum('n') : 0;
    covered[s.name] = (covered[s.name] ?? 0) + (Number.isFinite(n) ? n : 0);
  });
  const theme = model.getTheme?.().get('darkMode') ? 'dark' : 'light';
  return { axisFrom: x[0], axisTo: x[1], yMin: y[0], yMax: y[1], plotLeft: rect.x, plotWidth: rect.width, drawnFrom, drawnTo, items, covered, highest, offScale, theme };
}

/** Writes a drawn state on the chart's element as data-* attributes. */
export function writeDrawnAttributes(el: HTMLElement, s: DrawnState): void {
  el.dataset.axisFrom = String(s.axisFrom);
  el.dataset.axisTo = String(s.axisTo);
  el.dataset.yMin = String(s.yMin);
  el.dataset.yMax = String(s.yMax);
  el.dataset.plotLeft = String(s.plotLeft);
  el.dataset.plotWidth = String(s.plotWidth);
  el.dataset.drawnFrom = Number.isFinite(s.drawnFrom) ? String(s.drawnFrom) : '';
  el.dataset.drawnTo = Number.isFinite(s.drawnTo) ? String(s.drawnTo) : '';
  el.dataset.drawnItems = String(s.items);
  el.dataset.covered = JSON.stringify(s.covered);
  el.dataset.drawnMax = Number.isFinite(s.highest) ? String(s.highest) : '';
  el.dataset.offScale = s.offScale.join(',');
  el.dataset.chartTheme = s.theme;
}
