// A line chart's scene (line-chart.ts) as Compare's plot draws it (plot.ts): every extent the ECharts
// option left to ECharts made explicit, as ECharts made it: the x axis on the window, or on the data when
// zoomed out; a log axis out to whole decades; one flat value given room around it.
import type { Theme } from '../theme';
import { bandsOf, niceAxis, yLabel, type LineChartScene } from './line-chart';
import { drawnExtent, type PlotScene } from './plot';
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

/** Room around a single value (one point, or one flat value), as ECharts gave it: half the value either side, 0 to 1 for zero (a minute either side on a time axis). */
function around(v: number, time: boolean): [number, number] {
  if (time) return [v - 60_000, v + 60_000];
  return v === 0 ? [0, 1] : [v - Math.abs(v) / 2, v + Math.abs(v) / 2];
}

export function plotScene(scene: LineChartScene, axes: PlotAxes): PlotScene {
  const bands = axes.bands ? bandsOf(scene.shown) : [];
  let [from, to] = axes.window ? [axes.window.from, axes.window.to] : [Infinity, -Infinity];
  if (!axes.window) ({ from, to } = drawnExtent(scene.shown, bands));
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
    const [lo, hi] = around(scene.lowest, false);
    y = { ...(niceAxis(lo, hi) ?? { min: lo, max: hi }), log: false, label: yLabel };
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
