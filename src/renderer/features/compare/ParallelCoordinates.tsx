// Parallel coordinates of the compared runs: every numeric parameter that differs, then the objective.
import { useMemo } from 'react';
import { own } from '../../../shared/own';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { useECharts } from '../../charts/useECharts';
import { runColor } from './colors';

export function ParallelCoordinates({ runs }: { runs: TableRowOut[] }) {
  const objective = runs.some((r) => r.summaries.eval_loss) ? 'eval_loss' : runs.some((r) => r.summaries.loss) ? 'loss' : null;
  const params = useMemo(() => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    return keys.filter((k) => runs.every((r) => typeof own(r.params, k) === 'number') && new Set(runs.map((r) => own(r.params, k))).size > 1);
  }, [runs]);
  const option = useMemo(() => {
    const dims = [...params, ...(objective ? [`${objective}.min`] : [])];
    return {
      animation: false,
      backgroundColor: 'transparent',
      parallelAxis: dims.map((d, i) => ({ dim: i, name: d, type: 'value', scale: true, ...(d.startsWith('lr') || d.includes('learning_rate') ? { type: 'log' } : {}) })),
      parallel: { left: 60, right: 80, top: 50, bottom: 30 },
      series: runs.map((r) => ({
        type: 'parallel',
        name: r.id.slice(-8),
        lineStyle: {
          color: runColor(
            r.id,
            runs.map((x) => x.id),
          ),
          width: 2,
          opacity: 0.9,
        },
        data: [[...params.map((p) => own(r.params, p) as number), ...(objective ? [own(r.summaries, objective)?.min ?? null] : [])]],
      })),
    };
  }, [runs, params, objective]);
  if (params.length === 0) return null;
  return <ParallelChart option={option} caption={`Parameters against ${objective ? `${objective} (best)` : 'the objective'}`} axes={params.length + (objective ? 1 : 0)} />;
}

/** Its own component, so the chart is created when its element exists (not while runs are still loading). */
function ParallelChart({ option, caption, axes }: { option: Record<string, unknown>; caption: string; axes: number }) {
  const ref = useECharts(option);
  return (
    <figure className="chart" aria-label="Parallel coordinates">
      <figcaption>{caption}</figcaption>
      <div ref={ref} className="chart-canvas" data-axes={axes} />
    </figure>
  );
}
