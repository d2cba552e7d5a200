// Live charts of a run, drawn from the window query: raw points when few, else exact min/max buckets
// drawn as a band with the mean inside, so a one-point spike shows at any zoom. Zooming re-queries.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { SeriesSummary, WindowResult } from '../../../shared/domain/metrics';
import type { Run } from '../../../shared/domain/run';
import { bandsSeries, type Band } from '../../charts/band';
import { axisTooltip } from '../../charts/tooltip';
import { useECharts, type echarts } from '../../charts/useECharts';
import { useClient } from '../../store/context';
import type { ChartMark } from './MarkerList';

const PANELS: { title: string; names: string[]; stream?: 'sys' }[] = [
  { title: 'Loss', names: ['loss', 'eval_loss'] },
  { title: 'Learning rate', names: ['learning_rate'] },
  { title: 'Grad norm', names: ['grad_norm'] },
  { title: 'Tokens/s', names: ['tokens'] },
  { title: 'GPU utilization', names: ['gpu0.util', 'gpu1.util', 'gpu2.util', 'gpu3.util'], stream: 'sys' },
];
const BUCKETS = 800;
/** ECharts' own first colours, given explicitly so a curve and its band match. */
const LINE_COLORS = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de'];

interface Line {
  name: string;
  points: [number, number | null][];
  band?: [number, number | null, number | null][]; // x, min, max
}

function toLine(name: string, r: WindowResult, rate: boolean): Line {
  if (r.kind === 'points') {
    const pts = r.points.map((p): [number, number | null] => [p.step ?? p.idx, p.value]);
    if (!rate) return { name, points: pts };
    const out: [number, number | null][] = [];
    for (let i = 1; i < r.points.length; i++) {
      const a = r.points[i - 1]!;
      const b = r.points[i]!;
      if (b.ts > a.ts && a.value !== null && b.value !== null) out.push([b.step ?? b.idx, (b.value - a.value) / (b.ts - a.ts)]);
    }
    return { name: 'tokens/s', points: out };
  }
  const x = (b: { firstStep: number | null; lastStep: number | null; firstIdx: number; lastIdx: number }) => ((b.firstStep ?? b.firstIdx) + (b.lastStep ?? b.lastIdx)) / 2;
  if (rate) {
    return {
      name: 'tokens/s',
      points: r.buckets.filter((b) => b.lastTs > b.firstTs && b.first !== null && b.last !== null).map((b) => [x(b), (b.last! - b.first!) / (b.lastTs - b.firstTs)]),
    };
  }
  return {
    name,
    points: r.buckets.map((b) => [x(b), b.n ? b.sum / b.n : null]),
    band: r.buckets.map((b) => [x(b), b.min, b.max]),
  };
}

function Chart({
  title,
  lines,
  onZoom,
  zoom,
  marks,
  onMark,
}: {
  title: string;
  lines: Line[];
  onZoom: (from?: number, to?: number) => void;
  zoom: { from?: number; to?: number };
  marks?: ChartMark[] | undefined;
  onMark?: ((mark: ChartMark) => void) | undefined;
}) {
  // Curves switched off in the legend: their bands (one series, outside the legend) hide with them.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const option = useMemo(() => {
    const series: object[] = [];
    const bands: Band[] = [];
    lines.forEach((l, i) => {
      const color = LINE_COLORS[i % LINE_COLORS.length]!;
      series.push({ name: l.name, type: 'line', data: l.points, showSymbol: l.points.length < 50, symbolSize: 4, lineStyle: { color }, itemStyle: { color } });
      if (l.band) bands.push({ name: l.name, lower: l.band.map(([x, lo]) => [x, lo]), upper: l.band.map(([x, , hi]) => [x, hi]), color, edgeWidth: 1, edgeOpacity: 0.4, fillOpacity: 0.2 });
    });
    series.push(bandsSeries(bands.filter((b) => !hidden.has(b.name))));
    // Markers (NaN loss, spikes) as vertical lines on the first curve.
    const main = series.find((x) => !(x as { silent?: boolean }).silent) as Record<string, unknown> | undefined;
    if (main && marks?.length) {
      // Clickable: a mark found in the log jumps back to its line (see onMark).
      main.markLine = {
        symbol: 'none',
        silent: false,
        cursor: 'pointer',
        lineStyle: { type: 'dashed', color: '#e8590c' },
        emphasis: { lineStyle: { width: 2 } },
        label: { formatter: '{b}', fontSize: 10 },
        data: marks.map((m) => ({ xAxis: m.step, name: m.label })),
      };
    }
    return {
      animation: false,
      backgroundColor: 'transparent',
      grid: { left: 56, right: 16, top: 36, bottom: 28 },
      legend: { top: 4, data: [...new Set(lines.map((l) => l.name))] },
      tooltip: { trigger: 'axis', formatter: axisTooltip },
      dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none' }],
      xAxis: { type: 'value', name: 'step', nameLocation: 'end' },
      yAxis: { type: 'value', scale: true },
      series,
    };
  }, [lines, marks, hidden]);
  const instance = useRef<echarts.ECharts | null>(null);
  const ref = useECharts(option, {
    instance,
    onZoom,
    onHiddenCurves: setHidden,
    onClick: (e) => {
      const mark = e.componentType === 'markLine' ? marks?.[e.dataIndex] : undefined;
      if (mark) onMark?.(mark);
    },
  });
  // Where the marks are drawn (CSS pixels from the chart's left edge), for tests that click one.
  useEffect(() => {
    const chart = instance.current;
    const place = () => {
      if (ref.current && chart) ref.current.dataset.markX = (marks ?? []).map((m) => Math.round(chart.convertToPixel({ xAxisIndex: 0 }, m.step))).join(',');
    };
    chart?.on('rendered', place);
    return () => {
      chart?.off('rendered', place);
    };
  }, [marks, ref]);
  const ys = lines.flatMap((l) => [...l.points.map((p) => p[1]), ...(l.band ?? []).map((b) => b[2])]).filter((v): v is number => v !== null);
  return (
    <figure className="chart" aria-label={`${title} chart`}>
      <figcaption>{title}</figcaption>
      <div
        ref={ref}
        className="chart-canvas"
        data-points={lines.reduce((n, l) => n + l.points.length, 0)}
        data-max={ys.length ? Math.max(...ys) : ''}
        data-from={zoom.from ?? ''}
        data-to={zoom.to ?? ''}
        data-marks={marks?.length ?? 0}
      />
    </figure>
  );
}

function Panel({
  run,
  title,
  names,
  stream,
  available,
  focusStep,
  marks,
  onMark,
}: {
  run: Run;
  title: string;
  names: string[];
  stream?: 'sys';
  available: SeriesSummary[];
  focusStep?: { step: number; at: number } | undefined;
  marks?: ChartMark[] | undefined;
  onMark?: ((mark: ChartMark) => void) | undefined;
}) {
  const client = useClient();
  // The lines with the run they are of: another run's lines are never drawn as this one's.
  const [drawn, setDrawn] = useState<{ runId: string; lines: Line[] }>({ runId: run.id, lines: [] });
  const [error, setError] = useState<string | null>(null);
  const [zoom, setZoom] = useState<{ from?: number; to?: number }>({});
  // A marker chosen in the list zooms this chart around its step.
  useEffect(() => {
    if (focusStep && names.includes('loss')) setZoom({ from: Math.max(0, focusStep.step - 100), to: focusStep.step + 100 });
  }, [focusStep]); // eslint-disable-line react-hooks/exhaustive-deps
  const present = names.filter((n) => available.some((s) => s.name === n && s.stream === (stream ?? 'metrics')));
  const key = present.join(',');
  useEffect(() => {
    let stale = false;
    Promise.all(
      present.map((name) =>
        client
          .call('metrics.window', {
            runId: run.id,
            name,
            ...(stream ? { stream } : {}),
            x: 'step',
            maxBuckets: BUCKETS,
            ...(zoom.from !== undefined ? { from: zoom.from } : {}),
            ...(zoom.to !== undefined ? { to: zoom.to } : {}),
          })
          .then((r) => toLine(name, r, name === 'tokens')),
      ),
    ).then(
      (ls) => {
        if (stale) return;
        setDrawn({ runId: run.id, lines: ls });
        setError(null);
      },
      (err: unknown) => !stale && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      stale = true; // another run, zoom or set of series was asked for since: this answer is not for it
    };
    // Re-query when the run stored more points (seen through `available`, refreshed at most once a
    // second, not on every sync), or the user zoomed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, run.id, available, key, zoom.from, zoom.to]);
  if (present.length === 0) return null;
  const lines = drawn.runId === run.id ? drawn.lines : [];
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          Could not load the {title} chart: {error}
        </p>
      )}
      <Chart
        title={title}
        lines={lines}
        zoom={zoom}
        marks={names.includes('loss') ? marks : undefined}
        onMark={onMark}
        onZoom={(from, to) => setZoom({ ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })}
      />
    </>
  );
}

export function RunCharts({ run, focusStep, marks, onMark }: { run: Run; focusStep?: { step: number; at: number } | undefined; marks?: ChartMark[] | undefined; onMark?: (mark: ChartMark) => void }) {
  const client = useClient();
  // The series with the run they are of: after a switch, the last run's series are not this one's.
  const [series, setSeries] = useState<{ runId: string; list: SeriesSummary[] }>({ runId: run.id, list: [] });
  const [error, setError] = useState<string | null>(null);
  const lastFetch = useRef({ runId: '', at: 0 });
  const shownRun = useRef(run.id);
  shownRun.current = run.id;
  useEffect(() => {
    // At most one refresh a second however often the run changes; another run is fetched at once.
    const last = lastFetch.current;
    const wait = last.runId === run.id ? Math.max(0, 1000 - (Date.now() - last.at)) : 0;
    const runId = run.id;
    const timer = setTimeout(() => {
      lastFetch.current = { runId, at: Date.now() };
      // An answer for a run no longer shown is dropped; one for this run is kept even if more points
      // came meanwhile (dropping those could starve a run that syncs faster than the answer comes).
      client.call('metrics.series', { id: runId }).then(
        (list) => {
          if (shownRun.current !== runId) return;
          setSeries({ runId, list });
          setError(null);
        },
        (err: unknown) => shownRun.current === runId && setError(err instanceof Error ? err.message : String(err)),
      );
    }, wait);
    return () => clearTimeout(timer);
  }, [client, run.id, run.metricPoints, run.status]);
  const available = useMemo(() => (series.runId === run.id ? series.list : []), [series, run.id]);

  if (error && available.length === 0) {
    return (
      <section className="card wide" aria-label="Charts">
        <p className="form-error" role="alert">
          Could not load this run's metrics: {error}
        </p>
      </section>
    );
  }
  if (available.length === 0) {
    return (
      <section className="card wide" aria-label="Charts">
        <p className="muted">No metrics yet. They appear as the run logs them (tunebench.log, or the Hugging Face Trainer hook).</p>
      </section>
    );
  }
  return (
    <section className="charts" aria-label="Charts">
      {PANELS.map((p) => (
        <Panel key={p.title} run={run} title={p.title} names={p.names} {...(p.stream ? { stream: p.stream } : {})} available={available} focusStep={focusStep} marks={marks} onMark={onMark} />
      ))}
    </section>
  );
}
