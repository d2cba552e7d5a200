// A thin hook: the chart is created once per element and given new options with setOption. It follows
// the page's theme, and (with `zoom`) wires the wheel, drag, keys and double-click to the owner's window.
import { CustomChart, LineChart, ParallelChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, ParallelComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { currentTheme, onThemeChange, type Theme } from '../theme';
import { scrollParent } from '../components/scroll-parent';
import { readDrawnState, writeDrawnAttributes } from './chart-state';
import { installChartZoom, type ZoomTarget } from './zoom';
import './charts.css';

echarts.use([CustomChart, LineChart, ParallelChart, ParallelComponent, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, TitleComponent, CanvasRenderer, SVGRenderer]);

export { echarts };

/** ECharts' theme for ours: its built-in dark one, or its default. */
export const echartsTheme = (theme: Theme): string | object => (theme === 'dark' ? 'dark' : {});

export interface ChartHooks {
  /** Zooming by wheel, drag and keys: the owner keeps the window and queries it (see charts/zoom.ts). */
  zoom?: Omit<ZoomTarget, 'plot' | 'preview'>;
  /** Curve names switched off in the legend (for drawings outside the legend, like bands). */
  onHiddenCurves?: (hidden: ReadonlySet<string>) => void;
  /** A click on a mark, a point or a line of the chart. */
  onClick?: (e: { componentType: string; dataIndex: number }) => void;
  /** Gets the ECharts instance (exports, actions). */
  instance?: { current: echarts.ECharts | null };
  /** Called after each option is drawn (the theme's colours may have changed too). */
  onDrawn?: (chart: echarts.ECharts) => void;
  /**
   * Created (and drawn) only when the element first comes near the viewport: a chart further down the
   * page costs nothing while the ones in view load.
   */
  whenNear?: boolean;
}

/** The plot area of grid 0, from the instance. */
function plotOf(chart: echarts.ECharts | null): { left: number; width: number } | null {
  const rect = (chart as unknown as { getModel(): { getComponent(m: string, i: number): { coordinateSystem?: { getRect(): { x: number; width: number } } } | undefined } | undefined } | null)
    ?.getModel()
    ?.getComponent('grid', 0)
    ?.coordinateSystem?.getRect();
  return rect ? { left: rect.x, width: rect.width } : null;
}

export function useECharts(option: echarts.EChartsCoreOption, hooks: ChartHooks = {}) {
  const { instance } = hooks;
  const hooksRef = useRef(hooks);
  const optionRef = useRef(option);
  optionRef.current = option;
  hooksRef.current = hooks;
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const zoomable = hooks.zoom !== undefined;
  const [near, setNear] = useState(!hooks.whenNear);
  // Bumped when the chart is created: the option is then given to it.
  const [created, setCreated] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element || near) return;
    const watch = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), { root: scrollParent(element), rootMargin: '300px' });
    watch.observe(element);
    return () => watch.disconnect();
  }, [near]);
  // Created in a passive effect: after every layout effect of the page, so a chart's first queries
  // (sent from its owner's layout effect) are on their way while charts are set up.
  useEffect(() => {
    if (!ref.current || !near) return;
    const element = ref.current;
    chart.current = echarts.init(element, echartsTheme(currentTheme()), { renderer: 'canvas' });
    setCreated((n) => n + 1);
    if (instance) instance.current = chart.current;
    chart.current.on('click', (e: unknown) => hooksRef.current.onClick?.(e as { componentType: string; dataIndex: number }));
    chart.current.on('legendselectchanged', (e: unknown) => {
      const selected = (e as { selected: Record<string, boolean> }).selected;
      hooksRef.current.onHiddenCurves?.(new Set(Object.keys(selected).filter((name) => !selected[name])));
    });
    // Open charts restyle when the theme changes, without a reload.
    const offTheme = onThemeChange((theme) => {
      chart.current?.setTheme(echartsTheme(theme));
      // setTheme alone left some charts blank (a sweep's scatter, its parallel axes): give the option again.
      if (!chart.current) return;
      chart.current.setOption(optionRef.current, { replaceMerge: ['series'] });
      hooksRef.current.onDrawn?.(chart.current);
    });
    // ECharts' hover box lists every curve of the chart: hide it before a wheel zoom, or it is rebuilt
    // for each redraw of the zoom. It comes back on the next mouse move. (Compare's curves have a box of
    // their own, curve-hover.ts, which hides itself.) In the next task: a zoom's queries go out first
    // (hiding a 50-row box took a few ms), and it is still hidden well before their answers are drawn.
    const hideTip = () => setTimeout(() => chart.current?.dispatchAction({ type: 'hideTip' }));
    element.addEventListener('wheel', hideTip, { capture: true, passive: true });
    const removeZoom = zoomable
      ? installChartZoom(element, {
          getWindow: () => hooksRef.current.zoom?.getWindow() ?? null,
          getFull: () => hooksRef.current.zoom?.getFull() ?? null,
          setWindow: (w) => hooksRef.current.zoom?.setWindow(w),
          plot: () => plotOf(chart.current),
          preview: (w) => chart.current?.setOption({ xAxis: { min: w.from, max: w.to } }),
        })
      : () => {};
    const resize = new ResizeObserver(() => chart.current?.resize());
    resize.observe(element);
    return () => {
      resize.disconnect();
      offTheme();
      removeZoom();
      element.removeEventListener('wheel', hideTip, { capture: true });
      chart.current?.dispose();
      chart.current = null;
    };
  }, [near]); // eslint-disable-line react-hooks/exhaustive-deps
  // A layout effect, not a passive one: React runs passive effects after the next paint, which held a
  // zoom's new data back by a frame or more before ECharts got it.
  useLayoutEffect(() => {
    const c = chart.current;
    if (!c) return;
    // 'rendered' follows the frame that drew the option onto the canvas ('finished' waits one more
    // frame). Listened for before setOption, which may draw at once.
    const done = () => {
      c.off('rendered', done);
      hooksRef.current.onDrawn?.(c);
    };
    c.on('rendered', done);
    // Series replaced wholesale (a merge would keep series the new option no longer has, e.g. the
    // faint raw curves after smoothing is turned off); the legend choices are kept. Not lazily: a
    // hover box or a hideTip handled between a lazy setOption and its frame met series without data
    // ("Cannot read properties of undefined (reading 'getRawIndex')").
    c.setOption(option, { replaceMerge: ['series'] });
    return () => {
      c.off('rendered', done);
    };
  }, [option, created]);
  return ref;
}

/** Writes what the chart drew (read from the instance, see chart-state.ts) on its element, for tests. */
export function writeDrawnState(chart: echarts.ECharts, el: HTMLElement | null): void {
  const s = el && readDrawnState(chart);
  if (el && s) writeDrawnAttributes(el, s);
}
