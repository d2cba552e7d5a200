// Live charts of a run: loss (train and eval), learning rate, grad norm, tokens/s and GPU use when logged.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { MetricPoint, Run } from '../../../shared/domain/run';
import { useECharts } from '../../charts/useECharts';
import { useClient } from '../../store/context';

const PANELS: { title: string; names: string[] }[] = [
  { title: 'Loss', names: ['loss', 'eval_loss'] },
  { title: 'Learning rate', names: ['learning_rate'] },
  { title: 'Grad norm', names: ['grad_norm'] },
  { title: 'Tokens/s', names: ['tokens_per_s'] },
  { title: 'GPU utilization', names: ['gpu0.util', 'gpu1.util', 'gpu2.util', 'gpu3.util'] },
];

function Chart({ title, series }: { title: string; series: { name: string; data: [number, number | null][] }[] }) {
  const option = useMemo(
    () => ({
      animation: false,
      backgroundColor: 'transparent',
      grid: { left: 56, right: 16, top: 36, bottom: 28 },
      legend: { top: 4, data: series.map((s) => s.name) },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'step', nameLocation: 'end', min: 'dataMin', max: 'dataMax' },
      yAxis: { type: 'value', scale: true },
      series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: s.data.length < 50, data: s.data })),
    }),
    [series],
  );
  const ref = useECharts(option);
  return (
    <figure className="chart" aria-label={`${title} chart`}>
      <figcaption>{title}</figcaption>
      <div ref={ref} className="chart-canvas" data-points={series.reduce((n, s) => n + s.data.length, 0)} />
    </figure>
  );
}

export function RunCharts({ run }: { run: Run }) {
  const client = useClient();
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const lastFetch = useRef(0);
  useEffect(() => {
    // At most one fetch a second however often the run changes.
    const wait = Math.max(0, 1000 - (Date.now() - lastFetch.current));
    const timer = setTimeout(() => {
      lastFetch.current = Date.now();
      client.call('runs.metrics', { id: run.id }).then(setPoints, () => {});
    }, wait);
    return () => clearTimeout(timer);
  }, [client, run.id, run.metricPoints, run.status]);

  const byName = useMemo(() => {
    const m = new Map<string, [number, number | null][]>();
    points.forEach((p, i) => {
      const list = m.get(p.name) ?? [];
      list.push([p.step ?? i, p.value]);
      m.set(p.name, list);
    });
    // Throughput from the cumulative token count and the wall-clock time of each point.
    const tokens = points.filter((p) => p.name === 'tokens' && p.value !== null);
    const rate: [number, number | null][] = [];
    for (let i = 1; i < tokens.length; i++) {
      const dt = tokens[i]!.ts - tokens[i - 1]!.ts;
      if (dt > 0) rate.push([tokens[i]!.step ?? i, (tokens[i]!.value! - tokens[i - 1]!.value!) / dt]);
    }
    if (rate.length) m.set('tokens_per_s', rate);
    return m;
  }, [points]);

  const panels = PANELS.map((p) => ({ title: p.title, series: p.names.filter((n) => byName.has(n)).map((n) => ({ name: n, data: byName.get(n)! })) })).filter((p) => p.series.length > 0);
  if (panels.length === 0) {
    return (
      <section className="card wide" aria-label="Charts">
        <p className="muted">No metrics yet. They appear as the run logs them (tunebench.log, or the Hugging Face Trainer hook).</p>
      </section>
    );
  }
  return (
    <section className="charts" aria-label="Charts">
      {panels.map((p) => (
        <Chart key={p.title} title={p.title} series={p.series} />
      ))}
    </section>
  );
}
