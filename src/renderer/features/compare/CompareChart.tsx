// Overlaid runs for one metric: each run's exact min/max band, its raw curve (faint when smoothed) and
// the smoothed curve; step, wall-time or relative-time axis; log scale; zoom re-queries every run.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { WindowResult } from '../../../shared/domain/metrics';
import { exportPng, exportSvg } from '../../charts/export';
import { bandsSeries, type Band } from '../../charts/band';
import { axisTooltip } from '../../charts/tooltip';
import { useECharts, type echarts } from '../../charts/useECharts';
import { useClient } from '../../store/context';
import { meanStd } from './seed-groups';
import { runColor } from './colors';
import { smoothEma } from './smoothing';

export type Axis = 'step' | 'tokens' | 'time' | 'relative';

type Zoom = { from?: number; to?: number };

interface RunSeries {
  runId: string;
  raw: [number, number | null][];
  band: [number, number | null, number | null][] | null;
}

/** Buckets per run: fewer when many runs share the chart, so the payload stays near 10,000 buckets. */
const bucketsFor = (runs: number) => Math.max(150, Math.min(600, Math.floor(10_000 / Math.max(1, runs))));

/** Step -> tokens seen, from the run's cumulative `tokens` metric, by linear interpolation (and back). */
export class TokenScale {
  constructor(private readonly pairs: [number, number][]) {}

  static from(r: WindowResult): TokenScale {
    const pairs: [number, number][] =
      r.kind === 'points'
        ? r.points.filter((p) => p.value !== null).map((p) => [p.step ?? p.idx, p.value!])
        : r.buckets.flatMap((b): [number, number][] => [
            ...(b.first !== null ? [[b.firstStep ?? b.firstIdx, b.first] as [number, number]] : []),
            ...(b.last !== null ? [[b.lastStep ?? b.lastIdx, b.last] as [number, number]] : []),
          ]);
    return new TokenScale(pairs);
  }

  private static interpolate(pairs: [number, number][], v: number, from: 0 | 1): number {
    const to = from === 0 ? 1 : 0;
    if (pairs.length === 0) return NaN;
    if (v <= pairs[0]![from]) return pairs[0]![to];
    for (let i = 1; i < pairs.length; i++) {
      const a = pairs[i - 1]!;
      const b = pairs[i]!;
      if (v <= b[from]) return b[from] === a[from] ? b[to] : a[to] + ((v - a[from]) / (b[from] - a[from])) * (b[to] - a[to]);
    }
    return pairs[pairs.length - 1]![to];
  }

  tokensAt(step: number): number {
    return TokenScale.interpolate(this.pairs, step, 0);
  }

  stepAt(tokens: number): number {
    return TokenScale.interpolate(this.pairs, tokens, 1);
  }
}

function toSeries(runId: string, r: WindowResult, axis: Axis, start: number, tokens?: TokenScale): RunSeries {
  const x = (step: number | null, idx: number, ts: number) => (axis === 'step' ? (step ?? idx) : axis === 'tokens' ? tokens!.tokensAt(step ?? idx) : axis === 'time' ? ts * 1000 : (ts - start) / 60);
  if (r.kind === 'points') return { runId, raw: r.points.map((p) => [x(p.step, p.idx, p.ts), p.value]), band: null };
  const mid = (b: (typeof r.buckets)[number]) => {
    const a = x(b.firstStep, b.firstIdx, b.firstTs);
    const z = x(b.lastStep, b.lastIdx, b.lastTs);
    return (a + z) / 2;
  };
  return { runId, raw: r.buckets.map((b) => [mid(b), b.n ? b.sum / b.n : null]), band: r.buckets.map((b) => [mid(b), b.min, b.max]) };
}

export function CompareChart({
  runIds,
  metric,
  axis,
  smoothing,
  logScale,
  groups,
}: {
  runIds: string[];
  metric: string;
  axis: Axis;
  smoothing: number;
  logScale: boolean;
  groups?: string[][] | undefined;
}) {
  const client = useClient();
  const [series, setSeries] = useState<RunSeries[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [loads, setLoads] = useState(0); // completed queries, for tests and the benchmark
  // Loads started, and the one whose answers are shown: tests wait until they agree.
  const started = useRef(0);
  const [shown, setShown] = useState(0);
  const [zoom, setZoom] = useState<Zoom>({});
  const starts = useRef(new Map<string, number>());
  const scales = useRef(new Map<string, TokenScale>());
  const instance = useRef<echarts.ECharts | null>(null);

  const generation = useRef(0);
  // The page hands a new array of the same ids on every render: key the loading on the ids
  // themselves, or each slider tick would reload every run and throw the user's zoom away.
  const runKey = runIds.join(',');
  const ids = useRef(runIds);
  ids.current = runIds;

  /**
   * Queries every run for the window and shows the answers together. Called straight from the zoom
   * handler (not through a state change and an effect, which waited for a render and a paint).
   */
  const load = useCallback(
    (range: Zoom) => {
      const mine = ++generation.current;
      const number = ++started.current;
      const toQuery = (v: number | undefined, runId: string) => {
        if (v === undefined) return undefined;
        if (axis === 'time') return v / 1000;
        if (axis === 'relative') return (starts.current.get(runId) ?? 0) + v * 60;
        if (axis === 'tokens') return scales.current.get(runId)?.stepAt(v);
        return v;
      };
      const runIds = ids.current;
      void Promise.all(
        runIds
          .map(async (runId) => {
            if (axis === 'tokens' && !scales.current.has(runId)) {
              scales.current.set(runId, TokenScale.from(await client.call('metrics.window', { runId, name: 'tokens', x: 'step', maxBuckets: 2000 })));
            }
            const from = toQuery(range.from, runId);
            const to = toQuery(range.to, runId);
            const r = await client.call('metrics.window', {
              runId,
              name: metric,
              x: axis === 'step' || axis === 'tokens' ? 'step' : 'time',
              maxBuckets: bucketsFor(runIds.length),
              ...(from !== undefined ? { from } : {}),
              ...(to !== undefined ? { to } : {}),
            });
            if (range.from === undefined) {
              const first = r.kind === 'points' ? r.points[0]?.ts : r.buckets[0]?.firstTs;
              if (first !== undefined) starts.current.set(runId, first);
            }
            return toSeries(runId, r, axis, starts.current.get(runId) ?? 0, scales.current.get(runId));
          })
          .map((p, i) =>
            p.then(
              (s) => ({ ok: true as const, s }),
              (e: Error) => ({ ok: false as const, e, runId: runIds[i]! }),
            ),
          ),
      ).then((results) => {
        if (mine !== generation.current) return; // a newer zoom is on its way
        setSeries(results.flatMap((r) => (r.ok ? [r.s] : [])));
        // Each problem names its run: with 50 runs on a chart, "this run has no metric" says nothing.
        setProblems(results.flatMap((r) => (r.ok ? [] : [`Run ${r.runId.slice(-8)}: ${r.e.message}`])));
        setLoads((n) => n + 1);
        setShown(number);
      });
    },
    [client, runKey, metric, axis], // eslint-disable-line react-hooks/exhaustive-deps
  );

  // A new metric, axis or set of runs starts zoomed out, the chart's own zoom window included (its
  // old window is in the old axis' units); that reset is not a zoom of the user's to load for.
  const resetting = useRef(false);
  useEffect(() => {
    setZoom({});
    resetting.current = true;
    instance.current?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
    instance.current?.dispatchAction({ type: 'hideTip' }); // it would show the old axis' value until the pointer moves
    resetting.current = false;
    load({});
    return () => {
      generation.current++;
    };
  }, [load]);

  const onZoom = useCallback(
    (from: number | undefined, to: number | undefined) => {
      if (resetting.current) return;
      const range = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
      setZoom(range);
      load(range);
    },
    [load],
  );

  // Curves switched off in the legend: their bands (one series, outside the legend) hide with them.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());

  const option = useMemo(() => {
    const out: object[] = [];
    const bands: Band[] = [];
    const names: string[] = [];
    const grouped = new Set<string>();
    for (const group of groups ?? []) {
      const members = group.map((id) => series.find((s) => s.runId === id)).filter((s): s is RunSeries => !!s);
      if (members.length < 2) continue;
      members.forEach((m) => grouped.add(m.runId));
      const curves = members.map((m) => (smoothing > 0 ? smoothEma(m.raw, smoothing) : m.raw));
      const { mean, lower, upper } = meanStd(curves);
      const name = `${members[0]!.runId.slice(-8)} +${members.length - 1} seeds`;
      const color = runColor(members[0]!.runId, runIds);
      names.push(name);
      out.push({ name, type: 'line', data: mean, lineStyle: { width: 2, color }, itemStyle: { color }, showSymbol: false });
      bands.push({ name, lower, upper, color, edgeWidth: 0, edgeOpacity: 0, fillOpacity: 0.18 });
    }
    for (const s of series) {
      if (grouped.has(s.runId)) continue;
      const name = s.runId.slice(-8);
      const color = runColor(s.runId, runIds);
      names.push(name);
      out.push({ name, type: 'line', data: smoothing > 0 ? smoothEma(s.raw, smoothing) : s.raw, lineStyle: { width: 1.6, color }, itemStyle: { color }, showSymbol: s.raw.length < 40, symbolSize: 4 });
      if (smoothing > 0) out.push({ name, type: 'line', data: s.raw, lineStyle: { width: 1, opacity: 0.25, color }, itemStyle: { color }, symbol: 'none', silent: true, tooltip: { show: false } });
      if (s.band) bands.push({ name, lower: s.band.map(([x, lo]) => [x, lo]), upper: s.band.map(([x, , hi]) => [x, hi]), color, edgeWidth: 0.5, edgeOpacity: 0.35, fillOpacity: 0.12 });
    }
    out.push(bandsSeries(bands.filter((b) => !hidden.has(b.name))));
    return {
      animation: false,
      backgroundColor: 'transparent',
      grid: { left: 64, right: 24, top: 40, bottom: 36 },
      legend: { top: 4, type: 'scroll', data: names },
      tooltip: { trigger: 'axis', formatter: axisTooltip },
      dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none' }],
      xAxis: axis === 'time' ? { type: 'time' } : { type: 'value', name: axis === 'relative' ? 'minutes' : axis, nameLocation: 'end' },
      yAxis: logScale ? { type: 'log', logBase: 10 } : { type: 'value', scale: true },
      series: out,
    };
  }, [series, smoothing, axis, logScale, runKey, groups, hidden]); // eslint-disable-line react-hooks/exhaustive-deps
  const ref = useECharts(option, { onZoom, onHiddenCurves: setHidden, instance, renderedTag: String(loads) });

  // What the chart was given, as attributes for tests: the highest value (a spike must reach it) and the last x.
  const drawn = useMemo(() => {
    let [max, xmax, points] = [-Infinity, -Infinity, 0];
    for (const s of series) {
      points += s.raw.length;
      for (const [x, y] of s.raw) {
        if (y !== null && y > max) max = y;
        if (x > xmax) xmax = x;
      }
      for (const [, , hi] of s.band ?? []) if (hi !== null && hi > max) max = hi;
    }
    return { max: max === -Infinity ? '' : max, xmax: xmax === -Infinity ? '' : xmax, points };
  }, [series]);

  return (
    <figure className="chart compare-chart" aria-label={`${metric} comparison`}>
      <figcaption className="card-header">
        <span>{metric}</span>
        <span className="toolbar">
          <button type="button" onClick={() => instance.current && exportPng(instance.current, metric)}>
            PNG
          </button>
          <button type="button" onClick={() => instance.current && exportSvg(instance.current, metric)}>
            SVG
          </button>
        </span>
      </figcaption>
      {problems.length > 0 && (
        <p className="form-error" role="alert">
          {problems[0]}
          {problems.length > 1 && ` (and ${problems.length - 1} more run${problems.length > 2 ? 's' : ''}; remove them from the comparison or choose another metric)`}
        </p>
      )}
      <div
        ref={ref}
        className="chart-canvas tall"
        data-runs={series.length}
        data-points={drawn.points}
        data-max={drawn.max}
        data-from={zoom.from ?? ''}
        data-to={zoom.to ?? ''}
        data-axis={axis}
        data-loads={loads}
        data-started={started.current}
        data-shown={shown}
        data-xmax={drawn.xmax}
        data-smoothing={smoothing}
        data-curves={(option.series as { type: string; areaStyle?: unknown; silent?: boolean }[]).filter((x) => !x.silent).length}
      />
    </figure>
  );
}
