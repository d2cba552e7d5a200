// A line chart's scene (line-chart.ts) as Compare's plot draws it (plot.ts): every extent the ECharts
// option left to ECharts made explicit, as ECharts made it: the x axis on the window, or on the data when
// zoomed out; a log axis out to whole decades; one flat value given room around it.
import type { Theme } from '../theme';
import { itemStats } from './curve-stats';
import { bandsOf, yLabel, type LineChartScene } from './line-chart';
import type { PlotScene } from './plot';
import type { XWindow } from './zoom';

export interface PlotAxes {
  /** The window asked for, or all the data's (null: the curves' own extent). */
  window: XWindow | null;
  time: boolean;
  name: string;
  wholeNumbers: boolean;
  logScale: boolean;
  bands: boolean;
  theme: Theme;
}

/** Room around a single value (one point, or one flat value): a tenth of it either side, at least 1 (a minute on a time axis). */
function around(v: number, time: boolean): [number, number] {
  const pad = time ? 60_000 : Math.max(Math.abs(v) * 0.1, 1);
  return [v - pad, v + pad];
}

export function plotScene(scene: LineChartScene, axes: PlotAxes): PlotScene {
  const bands = axes.bands ? bandsOf(scene.shown) : [];
  let [from, to] = axes.window ? [axes.window.from, axes.window.to] : [Infinity, -Infinity];
  if (!axes.window) {
    for (const c of scene.shown) {
      const s = itemStats(c.items);
      if (s.x0 < from) from = s.x0;
      if (s.x1 > to) to = s.x1;
    }
    for (const b of bands)
      for (const [x] of b.lower) {
        if (x < from) from = x;
        if (x > to) to = x;
      }
  }
  if (!(from <= to)) [from, to] = [0, 1];
  if (from === to) [from, to] = around(from, axes.time);
  let y: PlotScene['y'];
  if (axes.logScale) {
    const [lo, hi] = scene.axisY ? [scene.axisY.min, scene.axisY.max] : [scene.lowestPositive, scene.highest];
    if (lo > 0 && hi >= lo && Number.isFinite(hi)) {
      const min = 10 ** Math.floor(Math.log10(lo));
      const max = 10 ** Math.ceil(Math.log10(hi));
      y = scene.axisY ? { min: lo, max: hi, log: true, label: yLabel } : { min, max: max > min ? max : min * 10, log: true, label: yLabel };
    } else y = { min: 1, max: 10, log: true, label: yLabel };
  } else if (scene.axisY) {
    y = { ...scene.axisY, log: false, label: yLabel };
  } else if (Number.isFinite(scene.lowest)) {
    const [min, max] = around(scene.lowest, false);
    y = { min, max, log: false, label: yLabel };
  } else y = { min: 0, max: 1, log: false, label: yLabel };
  return {
    curves: scene.shown,
    bands,
    marks: scene.marks,
    markRange: scene.drawnRange,
    x: { from, to, time: axes.time, name: axes.name, wholeNumbers: axes.wholeNumbers },
    y,
    theme: axes.theme,
  };
}
