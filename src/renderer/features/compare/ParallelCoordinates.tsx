// Parallel coordinates of the compared runs: every numeric parameter that differs, then the objective.
// Tick labels sit on a backing of the page's colour above the lines (not struck through by them); a
// hovered line stands out and names its run and values; the legend says which colour is which run.
import { useMemo, useRef } from 'react';
import { own } from '../../../shared/own';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { exportPng } from '../../charts/export';
import { useTheme } from '../../charts/use-theme';
import { useECharts, type echarts } from '../../charts/useECharts';
import type { CurveStyle } from './colors';

const value = (v: unknown) => (typeof v === 'number' ? (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString()) : '—');

export function ParallelCoordinates({ runs, styles }: { runs: TableRowOut[]; styles?: Map<string, CurveStyle> }) {
  const theme = useTheme();
  const objective = runs.some((r) => r.summaries.eval_loss) ? 'eval_loss' : runs.some((r) => r.summaries.loss) ? 'loss' : null;
  const params = useMemo(() => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    return keys.filter((k) => runs.every((r) => typeof own(r.params, k) === 'number') && new Set(runs.map((r) => own(r.params, k))).size > 1);
  }, [runs]);
  const option = useMemo(() => {
    const dims = [...params, ...(objective ? [`${objective}.min`] : [])];
    const surface = theme === 'dark' ? '#1b1f26' : '#ffffff';
    const text = theme === 'dark' ? '#e3e7ee' : '#1c2430';
    return {
      animation: false,
      backgroundColor: 'transparent',
      legend: { top: 0, type: 'scroll', data: runs.map((r) => r.id.slice(-8)) },
      tooltip: {
        trigger: 'item',
        // A DOM node (the CSP strips ECharts' styled HTML): the run, then each axis' value.
        formatter: (p: { seriesName?: string; value?: unknown[] }) => {
          const box = document.createElement('div');
          box.className = 'chart-tip';
          const head = document.createElement('div');
          head.className = 'chart-tip-x';
          head.textContent = p.seriesName ?? '';
          box.append(head);
          dims.forEach((d, i) => {
            const row = document.createElement('div');
            row.className = 'mono';
            row.textContent = `${d}: ${value(p.value?.[i])}`;
            box.append(row);
          });
          return box;
        },
      },
      parallelAxis: dims.map((d, i) => ({
        dim: i,
        name: d,
        type: d.startsWith('lr') || d.includes('learning_rate') ? 'log' : 'value',
        scale: true,
        nameLocation: 'end',
        nameGap: 12,
        nameTextStyle: { color: text },
        z: 10,
        // Labels above the lines, on the page's colour: readable where lines cross them.
        axisLabel: { backgroundColor: surface, padding: [1, 3], borderRadius: 2, color: text, formatter: (v: number) => value(v) },
      })),
      parallel: { left: 60, right: 90, top: 64, bottom: 30, parallelAxisDefault: { z: 10 } },
      series: runs.map((r) => ({
        type: 'parallel',
        name: r.id.slice(-8),
        z: 1,
        lineStyle: { color: styles?.get(r.id)?.color ?? '#0072B2', width: 2, opacity: 0.75 },
        emphasis: { lineStyle: { width: 4, opacity: 1 } },
        inactiveOpacity: 0.15,
        activeOpacity: 1,
        data: [[...params.map((p) => own(r.params, p) as number), ...(objective ? [own(r.summaries, objective)?.min ?? null] : [])]],
      })),
    };
  }, [runs, params, objective, styles, theme]);
  if (params.length === 0) return null;
  return <ParallelChart option={option} caption={`Parameters against ${objective ? `${objective} (best)` : 'the objective'}`} axes={params.length + (objective ? 1 : 0)} />;
}

/** Its own component, so the chart is created when its element exists (not while runs are still loading). */
function ParallelChart({ option, caption, axes }: { option: Record<string, unknown>; caption: string; axes: number }) {
  const instance = useRef<echarts.ECharts | null>(null);
  const ref = useECharts(option, { instance, whenNear: true });
  return (
    <figure className="chart" aria-label="Parallel coordinates">
      <figcaption className="chart-head">
        <span>{caption}</span>
        <span className="toolbar">
          <button type="button" onClick={() => instance.current && exportPng(instance.current, 'parallel-coordinates', caption)}>
            PNG
          </button>
        </span>
      </figcaption>
      <div ref={ref} className="chart-canvas tall" data-axes={axes} />
    </figure>
  );
}
