// A thin hook: the chart is created once per element and given new options with setOption.
import { CustomChart, LineChart, ParallelChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, ParallelComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([CustomChart, LineChart, ParallelChart, ParallelComponent, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, CanvasRenderer, SVGRenderer]);

export { echarts };

export interface ChartHooks {
  /** The x range the user zoomed to (undefined ends: fully zoomed out on that side). */
  onZoom?: (from: number | undefined, to: number | undefined) => void;
  /** Curve names switched off in the legend (for drawings outside the legend, like bands). */
  onHiddenCurves?: (hidden: ReadonlySet<string>) => void;
  /** A click on a mark, a point or a line of the chart. */
  onClick?: (e: { componentType: string; dataIndex: number }) => void;
  /** Gets the ECharts instance (exports, actions). */
  instance?: { current: echarts.ECharts | null };
  /**
   * Written to the element's data-rendered once the chart has drawn the option that came with it:
   * tests and the benchmark wait for the drawing, not for the data.
   */
  renderedTag?: string;
}

export function useECharts(option: echarts.EChartsCoreOption, hooks: ChartHooks = {}) {
  const { instance, renderedTag } = hooks;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    chart.current = echarts.init(ref.current, dark ? 'dark' : undefined, { renderer: 'canvas' });
    if (instance) instance.current = chart.current;
    chart.current.on('datazoom', () => {
      const zoom = (chart.current?.getOption() as { dataZoom?: { start?: number; end?: number; startValue?: number; endValue?: number }[] }).dataZoom?.[0];
      const onZoom = hooksRef.current.onZoom;
      if (!zoom || !onZoom) return;
      const full = (zoom.start ?? 0) <= 0 && (zoom.end ?? 100) >= 100;
      onZoom(full ? undefined : zoom.startValue, full ? undefined : zoom.endValue);
    });
    chart.current.on('click', (e: unknown) => hooksRef.current.onClick?.(e as { componentType: string; dataIndex: number }));
    chart.current.on('legendselectchanged', (e: unknown) => {
      const selected = (e as { selected: Record<string, boolean> }).selected;
      hooksRef.current.onHiddenCurves?.(new Set(Object.keys(selected).filter((name) => !selected[name])));
    });
    // The hover box lists every curve (50 rows with 50 runs): hide it before ECharts handles a wheel
    // zoom, or it is rebuilt for each redraw of the zoom. It comes back on the next mouse move.
    const element = ref.current;
    const hideTip = () => chart.current?.dispatchAction({ type: 'hideTip' });
    element.addEventListener('wheel', hideTip, { capture: true, passive: true });
    const resize = new ResizeObserver(() => chart.current?.resize());
    resize.observe(ref.current);
    return () => {
      resize.disconnect();
      element.removeEventListener('wheel', hideTip, { capture: true });
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    // Series replaced wholesale (a merge would keep series the new option no longer has, e.g. the
    // faint raw curves after smoothing is turned off); the zoom window and legend choices are kept.
    c.setOption(option, { replaceMerge: ['series'], lazyUpdate: true });
    if (renderedTag === undefined) return;
    // 'rendered' follows the frame that drew the pending option onto the canvas ('finished' waits one more frame).
    const done = () => {
      c.off('rendered', done);
      if (ref.current) ref.current.dataset.rendered = renderedTag;
    };
    c.on('rendered', done);
    return () => {
      c.off('rendered', done);
    };
  }, [option, renderedTag]);
  return ref;
}
