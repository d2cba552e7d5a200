// A thin hook: the chart is created once per element and given new options with setOption.
import { LineChart, ParallelChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, ParallelComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([LineChart, ParallelChart, ParallelComponent, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer, SVGRenderer]);

export { echarts };

/** onZoom gets the x range the user zoomed to (undefined ends: fully zoomed out on that side). */
export function useECharts(option: echarts.EChartsCoreOption, onZoom?: (from: number | undefined, to: number | undefined) => void, instance?: { current: echarts.ECharts | null }) {
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
    chart.current?.setOption(option, { notMerge: false, lazyUpdate: true });
  }, [option]);
  return ref;
}
