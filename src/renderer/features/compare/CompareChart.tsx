// Overlaid runs for one metric: each run's exact min/max band, its raw curve (faint when smoothed) and
// the smoothed curve; step, wall-time or relative-time axis; log scale; zoom re-queries every run.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { WindowResult } from '../../../shared/domain/metrics';
import { ChartControls, type ChartSettings } from '../../charts/ChartControls';
import { installCurveHover } from '../../charts/curve-hover';
import { exportPng, exportSvg } from '../../charts/export';
import { bandStats, itemStats } from '../../charts/curve-stats';
import { bandsByDefault, fromWindow, lineChartOption, lineChartScene, xLabel, type BandPoint, type Curve, type Item } from '../../charts/line-chart';
import type { Plot } from '../../charts/plot';
import { plotScene } from '../../charts/plot-scene';
import { usePlot } from '../../charts/usePlot';
import { useTheme } from '../../charts/use-theme';
import type { DataExtent, XWindow } from '../../charts/zoom';
import { scrollParent, visibleBottom } from '../../components/scroll-parent';
import { useClient } from '../../store/context';
import { curveStyles } from './colors';
import { CurveLegend } from './CurveLegend';
import './compare.css';
import { meanStd } from './seed-groups';
import { smoothEma } from './smoothing';

export type Axis = 'step' | 'tokens' | 'time' | 'relative';

interface RunSeries {
  runId: string;
  items: Item[];
  band: BandPoint[] | null;
  /** The x extent its points cover, and their spacing. */
  xs: DataExtent | null;
}

/** How long answers may keep coming before those already here are drawn. */
const PARTIAL_MS = 150;

/** The plot's margins in the chart: the axes' labels and the x axis' name are drawn in them. */
const MARGINS = { left: 64, right: 28, top: 16, bottom: 48 };

/**
 * Buckets per run: fewer when many runs share the chart, so a chart holds about 5,000 of them (50
 * overlaid runs get 100 each, one every ~13 px of a wide plot, where 50 lines overlap anyway). The
 * answers' size and the drawing grow with this number; the min/max bands stay exact whatever it is.
 */
const bucketsFor = (runs: number) => Math.max(100, Math.min(600, Math.floor(5_000 / Math.max(1, runs))));

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
  const drawn = fromWindow(r, x);
  const xs = drawn.xs && r.total > 1 ? { ...drawn.xs, spacing: (drawn.xs.to - drawn.xs.from) / (r.total - 1) } : drawn.xs;
  return { runId, ...drawn, xs };
}

/** The curve drawn for a run (smoothed when asked): items keep their counts and spans, only y changes. */
function smoothed(items: Item[], smoothing: number): Item[] {
  if (smoothing <= 0) return items;
  const ys = smoothEma(
    items.map((it) => [it[0], it[1]]),
    smoothing,
  );
  return items.map((it, i) => [it[0], ys[i]?.[1] ?? null, it[2], it[3], it[4]]);
}

function extentOf(xs: (DataExtent | null)[]): DataExtent | null {
  let [from, to, spacing] = [Infinity, -Infinity, Infinity];
  for (const x of xs) {
    if (!x) continue;
    if (x.from < from) from = x.from;
    if (x.to > to) to = x.to;
    if (x.spacing && x.spacing < spacing) spacing = x.spacing;
  }
  return from <= to ? { from, to, ...(spacing < Infinity ? { spacing } : {}) } : null;
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
  const theme = useTheme();
  // Each run's answer with the window it answers: the axis shows that window.
  const [drawn, setDrawn] = useState<{ window: XWindow | null; series: RunSeries[] }>({ window: null, series: [] });
  const [full, setFull] = useState<DataExtent | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [loads, setLoads] = useState(0); // loads whose every answer is drawn, for tests and the benchmark
  // Loads started, and the one whose answers are shown: tests wait until they agree.
  const started = useRef(0);
  const [shown, setShown] = useState(0);
  const [settings, setSettings] = useState<ChartSettings>({ robust: true, bands: null });
  const starts = useRef(new Map<string, number>());
  const scales = useRef(new Map<string, TokenScale>());
  // The window asked for last (null: all the data): the next wheel step zooms from it, not from an older drawn one.
  const requested = useRef<XWindow | null>(null);

  const generation = useRef(0);
  // The page hands a new array of the same ids on every render: key the loading on the ids
  // themselves, or each slider tick would reload every run and throw the user's zoom away.
  const runKey = runIds.join(',');
  const ids = useRef(runIds);
  ids.current = runIds;

  /**
   * Queries every run for exactly the window and draws each answer as it comes (a frame's worth at a
   * time), over the last window's curves of the runs still to answer. Called straight from the zoom
   * handler (not through a state change and an effect, which waited for a render and a paint).
   */
  const load = useCallback(
    (win: XWindow | null) => {
      const mine = ++generation.current;
      const number = ++started.current;
      requested.current = win;
      const toQuery = (v: number, runId: string) => {
        if (axis === 'time') return v / 1000;
        if (axis === 'relative') return (starts.current.get(runId) ?? 0) + v * 60;
        if (axis === 'tokens') return scales.current.get(runId)?.stepAt(v);
        return v;
      };
      const runIds = ids.current;
      const arrived = new Map<string, RunSeries>();
      const failed: string[] = [];
      let answered = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Drawn in this task (not in a render React schedules for later): the answers are already late.
      const flush = () => flushSync(show);
      const show = () => {
        timer = undefined;
        if (mine !== generation.current) return; // a newer zoom is on its way
        const complete = answered === runIds.length;
        setDrawn((old) => {
          const byRun = new Map(old.series.map((s) => [s.runId, s]));
          for (const [id, s] of arrived) byRun.set(id, s);
          // In the order of the runs; a run that failed this time draws nothing rather than an old window.
          return { window: win, series: runIds.flatMap((id) => (complete && !arrived.has(id) ? [] : (byRun.get(id) ?? []))) };
        });
        if (!complete) return;
        if (!win) setFull(extentOf([...arrived.values()].map((s) => s.xs)));
        // Each problem names its run: with 50 runs on a chart, "this run has no metric" says nothing.
        setProblems(failed);
        setLoads((n) => n + 1);
        setShown(number);
      };
      // Answers are drawn together when they come quickly (each redraw of 50 curves costs more than
      // the wait); when they take longer, what has come is drawn every PARTIAL_MS meanwhile.
      const arrive = () => {
        answered++;
        if (answered === runIds.length) {
          clearTimeout(timer);
          flush();
        } else if (!timer) timer = setTimeout(flush, PARTIAL_MS);
      };
      for (const runId of runIds) {
        void (async () => {
          if (axis === 'tokens' && !scales.current.has(runId)) {
            scales.current.set(runId, TokenScale.from(await client.call('metrics.window', { runId, name: 'tokens', x: 'step', maxBuckets: 2000 })));
          }
          const from = win ? toQuery(win.from, runId) : undefined;
          const to = win ? toQuery(win.to, runId) : undefined;
          // Only finite numbers go to the engine (a token axis without the run's tokens has none).
          const r = await client.call('metrics.window', {
            runId,
            name: metric,
            x: axis === 'step' || axis === 'tokens' ? 'step' : 'time',
            maxBuckets: bucketsFor(runIds.length),
            ...(from !== undefined && Number.isFinite(from) ? { from } : {}),
            ...(to !== undefined && Number.isFinite(to) ? { to } : {}),
            ...(win ? { edges: true } : {}),
          });
          if (!win) {
            const first = r.kind === 'points' ? r.points[0]?.ts : r.buckets[0]?.firstTs;
            if (first !== undefined) starts.current.set(runId, first);
          }
          return toSeries(runId, r, axis, starts.current.get(runId) ?? 0, scales.current.get(runId));
        })().then(
          (s) => {
            arrived.set(runId, s);
            // Worked out now, while other answers are on their way (the drawing reads them).
            itemStats(s.items);
            if (s.band) bandStats(s.band);
            arrive();
          },
          (e: Error) => {
            failed.push(`Run ${runId.slice(-8)}: ${e.message}`);
            arrive();
          },
        );
      }
    },
    [client, runKey, metric, axis], // eslint-disable-line react-hooks/exhaustive-deps
  );

  // A chart out of view does no work: it loads when it first comes into view (a chart just below the
  // fold would otherwise share the first answers' time with those the user sees). One already in view
  // sends its queries from its first layout pass, before any chart of the page draws its empty frame.
  const figure = useRef<HTMLElement>(null);
  const [seen, setSeen] = useState(false);
  // The hover box over the curves (see curve-hover.ts).
  const hover = useRef<ReturnType<typeof installCurveHover> | null>(null);
  // The load function (metric, axis, runs) whose queries went out: a new one starts zoomed out.
  const loadedWith = useRef<typeof load | null>(null);
  const startLoading = useCallback(() => {
    if (loadedWith.current === load) return;
    loadedWith.current = load;
    // A new metric, axis or set of runs starts zoomed out (the old window is in the old axis' units).
    setDrawn({ window: null, series: [] });
    setFull(null);
    hover.current?.hide(); // it would show the old axis' value until the pointer moves
    load(null);
  }, [load]);
  useLayoutEffect(() => {
    const el = figure.current;
    if (!el || seen) return;
    if (el.getBoundingClientRect().top < visibleBottom(el)) {
      startLoading();
      setSeen(true);
      return;
    }
    const watch = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setSeen(true), { root: scrollParent(el) });
    watch.observe(el);
    return () => watch.disconnect();
  }, [seen, startLoading]);
  useLayoutEffect(() => {
    if (seen) startLoading();
  }, [seen, startLoading]);
  // Answers still on their way when the chart goes are not drawn.
  useEffect(
    () => () => {
      generation.current++;
    },
    [],
  );

  // Curves switched off in the legend above the chart: left out of the drawing, with their bands.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const toggleCurve = useCallback(
    (name: string) =>
      setHidden((old) => {
        const next = new Set(old);
        if (!next.delete(name)) next.add(name);
        return next;
      }),
    [],
  );

  const styles = useMemo(() => curveStyles(runIds, groups), [runKey, groups]); // eslint-disable-line react-hooks/exhaustive-deps
  const curves = useMemo(() => {
    const out: Curve[] = [];
    const grouped = new Set<string>();
    const { series } = drawn;
    for (const group of groups ?? []) {
      const members = group.map((id) => series.find((s) => s.runId === id)).filter((s): s is RunSeries => !!s);
      if (members.length < 2) continue;
      members.forEach((m) => grouped.add(m.runId));
      const { mean, lower, upper } = meanStd(members.map((m) => smoothed(m.items, smoothing).map((it): [number, number | null] => [it[0], it[1]])));
      const first = members[0]!;
      const style = styles.get(first.runId) ?? { color: '#0072B2', lineType: 'solid' as const };
      // The mean of this many runs (the first and every other seed): counted from the curves averaged.
      out.push({
        name: `${first.runId.slice(-8)} · mean of ${members.length} seeds`,
        color: style.color,
        lineType: style.lineType,
        width: 2,
        items: mean.map(([x, y], i) => [x, y, first.items[i]?.[2] ?? 1, first.items[i]?.[3] ?? x, first.items[i]?.[4] ?? x]),
        band: mean.map(([x], i) => [x, lower[i]?.[1] ?? null, upper[i]?.[1] ?? null]),
      });
    }
    for (const s of series) {
      if (grouped.has(s.runId)) continue;
      const name = s.runId.slice(-8);
      const style = styles.get(s.runId) ?? { color: '#0072B2', lineType: 'solid' as const };
      out.push({ name, color: style.color, lineType: style.lineType, items: smoothed(s.items, smoothing), band: s.band });
      if (smoothing > 0) out.push({ name, color: style.color, items: s.items, faint: true, width: 1 });
    }
    return out;
  }, [drawn, smoothing, groups, styles]);

  const built = useMemo(() => {
    const window = drawn.window ?? full;
    const scene = lineChartScene({ curves, window, logScale, robust: settings.robust, hidden });
    const bands = settings.bands ?? bandsByDefault(curves, scene.range, window);
    return { scene, window, bands };
  }, [curves, drawn.window, full, logScale, settings, hidden]);

  // Drawn once answers are here; until then the plot says it is loading (once its queries went out: a
  // chart further down loads when scrolled to).
  const ready = drawn.series.length > 0 || loads > 0;
  const xAxis = useMemo(
    () => (axis === 'time' ? { time: true, name: '', wholeNumbers: false } : { time: false, name: axis === 'relative' ? 'minutes' : axis, wholeNumbers: axis !== 'relative' }),
    [axis],
  );
  const scene = useMemo(() => (ready ? plotScene(built.scene, { window: built.window, ...xAxis, logScale, bands: built.bands, theme }) : null), [ready, built, xAxis, logScale, theme]);

  // The hover box's heading: whole steps (a bucket's span), minutes, or a date.
  const heading = useRef<(item: Item) => string>(() => '');
  heading.current = (item) => xLabel(item, axis === 'step' || axis === 'tokens', axis === 'time');
  const plot = useRef<Plot | null>(null);
  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    const box = installCurveHover(p.host, { shown: () => p.shown, heading: (item) => heading.current(item) });
    p.onRedraw = box.hide;
    hover.current = box;
    return () => box.remove();
  }, []);

  /** The chart as ECharts draws it (the curves as one series, see curves.ts): for a PNG or SVG file. */
  const exported = () => {
    const el = ref.current;
    const base = { curves, window: built.window, logScale, robust: settings.robust, hidden, theme, bands: built.bands, legend: false, grid: MARGINS };
    const { option } = lineChartOption({ ...base, xAxis: { type: xAxis.time ? 'time' : 'value', name: xAxis.name, wholeNumbers: xAxis.wholeNumbers } });
    return { option, width: el?.clientWidth ?? 800, height: el?.clientHeight ?? 400 };
  };

  const setWindow = useCallback((w: XWindow | null) => load(w), [load]);
  const ref = usePlot(scene, MARGINS, {
    plot,
    renderedTag: String(loads),
    zoom: { getWindow: () => requested.current ?? full, getFull: () => full, setWindow },
  });

  // What the chart was given, as attributes for tests: the highest value (a spike must reach it) and the last x.
  const given = useMemo(() => {
    let [max, xmax, points] = [-Infinity, -Infinity, 0];
    for (const s of drawn.series) {
      const items = itemStats(s.items);
      points += s.items.length;
      max = Math.max(max, items.highest, s.band ? bandStats(s.band).highest : -Infinity);
      if (items.x1 > xmax) xmax = items.x1;
    }
    return { max: max === -Infinity ? '' : max, xmax: xmax === -Infinity ? '' : xmax, points };
  }, [drawn.series]);

  // The same entries while the same curves are drawn (a zoom changes their data, not them): the legend's 50 buttons are not rendered again.
  const entries = curves.filter((c) => !c.faint).map((c) => ({ name: c.name, color: c.color, lineType: c.lineType }));
  const legendKey = entries.map((e) => `${e.name} ${e.color} ${e.lineType ?? ''}`).join('\n');
  const legend = useMemo(() => entries, [legendKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const legendShown = legend.filter((e) => !hidden.has(e.name));
  const title = `${metric}${axis === 'step' ? '' : ` by ${axis === 'tokens' ? 'tokens seen' : axis === 'time' ? 'wall time' : 'relative time'}`}${smoothing > 0 ? `, smoothed ${smoothing.toFixed(2)}` : ''} — ${runIds.length} run${runIds.length === 1 ? '' : 's'}`;
  return (
    <figure ref={figure} className="chart compare-chart" aria-label={`${metric} comparison`}>
      <figcaption className="chart-head">
        <span>{metric}</span>
        <span className="toolbar">
          <ChartControls
            title={metric}
            zoomed={drawn.window !== null}
            onReset={() => load(null)}
            settings={settings}
            bandsShown={built.bands}
            hasBands={curves.some((c) => c.band)}
            cut={built.scene.cut}
            onChange={setSettings}
          />
          <button type="button" onClick={() => exportPng(exported(), metric, title, legendShown)}>
            PNG
          </button>
          <button type="button" onClick={() => exportSvg(exported(), metric, title, legendShown)}>
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
      <CurveLegend entries={legend} hidden={hidden} onToggle={toggleCurve} label={`Curves of ${metric}`} />
      {seen && !ready && (
        <p className="muted chart-loading" role="status">
          Loading {runIds.length} run{runIds.length === 1 ? '' : 's'}…
        </p>
      )}
      <div
        ref={ref}
        className="chart-canvas tall"
        role="img"
        aria-label={`${metric} of ${runIds.length} runs. Click, then use the wheel or + and - to zoom, drag or arrow keys to pan, 0 or a double-click to reset.`}
        data-runs={drawn.series.length}
        data-points={given.points}
        data-max={given.max}
        data-from={drawn.window?.from ?? ''}
        data-to={drawn.window?.to ?? ''}
        data-axis={axis}
        data-max-buckets={bucketsFor(runIds.length)}
        data-loads={loads}
        data-started={started.current}
        data-shown={shown}
        data-xmax={given.xmax}
        data-smoothing={smoothing}
        data-bands={built.bands ? 'on' : 'off'}
        data-curves={curves.filter((c) => !c.faint).length}
        data-curve-names={curves
          .filter((c) => !c.faint)
          .map((c) => c.name)
          .join(',')}
        data-curve-colors={curves
          .filter((c) => !c.faint)
          .map((c) => c.color)
          .join(',')}
      />
    </figure>
  );
}
