// A thin hook: the chart is created once per element and given new options with setOption.
import { CustomChart, LineChart, ParallelChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, ParallelComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([CustomChart, LineChart, ParallelChart, ParallelComponent, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer, SVGRenderer]);

export { echarts };

/**
 * onZoom gets the x range the user zoomed to (undefined ends: fully zoomed out on that side).
 * renderedTag, when given, is written to the element's data-rendered once the chart has drawn the
 * option that came with it: tests and the benchmark wait for the drawing, not for the data.
 */
export function useECharts(option: echarts.EChartsCoreOption, onZoom?: (from: number | undefined, to: number | undefined) => void, instance?: { current: echarts.ECharts | null }, renderedTag?: string) {
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    chart.current = echarts.init(ref.current, dark ? 'dark' : undefined, { renderer: 'canvas' });
    if (instance) instance.current = chart.current;
    chart.current.on('datazoom', () => {
      const zoom = (chart.current?.getOption() as { dataZoom?: { start?: number; end?: number; startValue?: number; endValue?: number }[] }).dataZoom?.[0];
      if (!zoom || !zoomRef.current) return;
      const full = (zoom.start ?? 0) <= 0 && (zoom.end ?? 100) >= 100;
      zoomRef.current(full ? undefined : zoom.startValue, full ? undefined : zoom.endValue);
    });
    const resize = new ResizeObserver(() => chart.current?.resize());
    resize.observe(ref.current);
    return () => {
      resize.disconnect();
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
