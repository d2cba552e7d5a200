// Live charts of a run, drawn from the window query: raw points when few, else exact min/max buckets
// drawn as a light band around the mean, so a one-point spike shows at any zoom. Every logged metric
// gets a panel, grouped by its prefix (train/, eval/, sys/ ...), searchable; the panels the user hides
// or moves are remembered per project. Zooming re-queries exactly the window the axis shows.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { SeriesSummary, WindowResult } from '../../../shared/domain/metrics';
import type { Run } from '../../../shared/domain/run';
import { ChartControls, type ChartSettings } from '../../charts/ChartControls';
import { bandsByDefault, fromWindow, lineChartOption, type Curve, type Item } from '../../charts/line-chart';
import { useTheme } from '../../charts/use-theme';
import { useECharts, writeDrawnState, type echarts } from '../../charts/useECharts';
import type { DataExtent, XWindow } from '../../charts/zoom';
import { useClient } from '../../store/context';
import { curveStyle } from '../compare/colors';
import type { ChartMark } from './MarkerList';
import { panelsFor, type PanelSpec } from './run-panels';
import { loadLayout, saveLayout, type PanelLayout } from './run-panel-layout';
import './run-charts.css';

const BUCKETS = 800;

interface Line {
  name: string;
  items: Item[];
  band: Curve['band'];
}

/** tokens is a running count: its panel draws the rate between consecutive points (or buckets). */
function rateLine(r: WindowResult): Line {
  const items: Item[] = [];
  if (r.kind === 'points') {
    for (let i = 1; i < r.points.length; i++) {
      const a = r.points[i - 1]!;
      const b = r.points[i]!;
      const x = b.step ?? b.idx;
      if (b.ts > a.ts && a.value !== null && b.value !== null) items.push([x, (b.value - a.value) / (b.ts - a.ts), 1, x, x]);
    }
  } else {
    for (const b of r.buckets) {
      const [x0, x1] = [b.firstStep ?? b.firstIdx, b.lastStep ?? b.lastIdx];
      if (b.lastTs > b.firstTs && b.first !== null && b.last !== null) items.push([(x0 + x1) / 2, (b.last - b.first) / (b.lastTs - b.firstTs), b.count, x0, x1]);
    }
  }
  return { name: 'tokens/s', items, band: null };
}

/** The x extent (first to last step) several answers cover together, with the closest spacing of their points. */
function extentOf(xs: (DataExtent | null)[]): DataExtent | null {
  const known = xs.filter((x): x is DataExtent => x !== null);
  if (known.length === 0) return null;
  const spacings = known.flatMap((x) => (x.spacing ? [x.spacing] : []));
  return { from: Math.min(...known.map((x) => x.from)), to: Math.max(...known.map((x) => x.to)), ...(spacings.length ? { spacing: Math.min(...spacings) } : {}) };
}

const sameWindow = (a: XWindow | null, b: XWindow | null) => (a === null ? b === null : b !== null && a.from === b.from && a.to === b.to);

function Chart({
  spec,
  lines,
  window,
  requested: asked,
  full,
  onWindow,
  marks,
  onMark,
  menu,
}: {
  spec: PanelSpec;
  menu?: ReactNode;
  lines: Line[];
  /** The window the lines were queried for (null: all the data). */
  window: XWindow | null;
  /** The window asked for last: the next wheel step zooms from it, though its answer may not be drawn yet. */
  requested: XWindow | null;
  full: DataExtent | null;
  onWindow: (w: XWindow | null) => void;
  marks?: ChartMark[] | undefined;
  onMark?: ((mark: ChartMark) => void) | undefined;
}) {
  const theme = useTheme();
  // Curves switched off in the legend: their bands (one series, outside the legend) hide with them.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [settings, setSettings] = useState<ChartSettings>({ robust: true, bands: null });
  const requested = useRef<XWindow | null>(asked);
  requested.current = asked;
  const curves = useMemo(
    () =>
      lines.map((l, i): Curve => {
        const { color, lineType } = curveStyle(i);
        return { name: l.name, color, lineType, items: l.items, band: l.band ?? null };
      }),
    [lines],
  );
  const built = useMemo(() => {
    const axisWindow = window ?? full;
    const probe = lineChartOption({
      curves,
      window: axisWindow,
      xAxis: { type: 'value', name: 'step', wholeNumbers: true },
      robust: settings.robust,
      bands: false,
      hidden,
      theme,
      grid: { left: 60, right: 24, top: 36, bottom: 44 },
    });
    const bands = settings.bands ?? bandsByDefault(curves, probe.range, axisWindow);
    const out = bands
      ? lineChartOption({
          curves,
          window: axisWindow,
          xAxis: { type: 'value', name: 'step', wholeNumbers: true },
          robust: settings.robust,
          bands,
          hidden,
          theme,
          grid: { left: 60, right: 24, top: 36, bottom: 44 },
        })
      : probe;
    const series = out.option.series as Record<string, unknown>[];
    // Markers (NaN loss, spikes) as vertical lines on the first curve; clickable: a mark found in the log jumps back to its line (see onMark).
    const main = series.find((x) => x.type === 'line' && !x.silent);
    if (main && marks?.length) {
      main.markLine = {
        symbol: 'none',
        silent: false,
        cursor: 'pointer',
        lineStyle: { type: 'dashed', color: '#D55E00' },
        emphasis: { lineStyle: { width: 2 } },
        label: { formatter: '{b}', fontSize: 10 },
        data: marks.map((m) => ({ xAxis: m.step, name: m.label })),
      };
    }
    return { ...out, bands };
  }, [curves, window, full, settings, hidden, theme, marks]);
  const instance = useRef<echarts.ECharts | null>(null);
  const place = useCallback(
    (chart: echarts.ECharts) => {
      const el = chart.getDom();
      writeDrawnState(chart, el);
      // Where the marks are drawn (CSS pixels from the chart's left edge), for tests that click one.
      el.dataset.markX = (marks ?? []).map((m) => Math.round(chart.convertToPixel({ xAxisIndex: 0 }, m.step))).join(',');
    },
    [marks],
  );
  const ref = useECharts(built.option, {
    instance,
    onHiddenCurves: setHidden,
    onDrawn: place,
    zoom: { getWindow: () => requested.current ?? full, getFull: () => full, setWindow: onWindow },
    onClick: (e) => {
      const mark = e.componentType === 'markLine' ? marks?.[e.dataIndex] : undefined;
      if (mark) onMark?.(mark);
    },
  });
  let max = -Infinity;
  for (const l of lines) {
    for (const it of l.items) if (it[1] !== null && it[1] > max) max = it[1];
    for (const b of l.band ?? []) if (b[2] !== null && b[2] > max) max = b[2];
  }
  return (
    <figure className="chart" aria-label={`${spec.title} chart`}>
      <figcaption className="chart-head">
        <span>{spec.title}</span>
        {menu}
        <ChartControls
          title={spec.title}
          zoomed={window !== null}
          onReset={() => onWindow(null)}
          settings={settings}
          bandsShown={built.bands}
          hasBands={lines.some((l) => l.band)}
          cut={built.cut}
          onChange={setSettings}
        />
      </figcaption>
      <div
        ref={ref}
        className="chart-canvas"
        role="img"
        aria-label={`${spec.title}: ${lines.map((l) => l.name).join(', ')}${window ? `, steps ${Math.round(window.from)} to ${Math.round(window.to)}` : ''}. Click, then use the wheel or + and - to zoom, drag or arrow keys to pan, 0 or a double-click to reset.`}
        data-points={lines.reduce((n, l) => n + l.items.length, 0)}
        data-max={max === -Infinity ? '' : max}
        data-from={window?.from ?? ''}
        data-to={window?.to ?? ''}
        data-marks={marks?.length ?? 0}
        data-pending={sameWindow(asked, window) ? '' : 'yes'}
      />
    </figure>
  );
}

function Panel({
  run,
  spec,
  available,
  focusStep,
  marks,
  onMark,
  menu,
}: {
  run: Run;
  spec: PanelSpec;
  menu?: ReactNode;
  available: SeriesSummary[];
  focusStep?: { step: number; at: number } | undefined;
  marks?: ChartMark[] | undefined;
  onMark?: ((mark: ChartMark) => void) | undefined;
}) {
  const client = useClient();
  // The lines with the run and window they are of: another run's lines are never drawn as this one's,
  // and the axis shows the window its lines were queried for.
  const [drawn, setDrawn] = useState<{ runId: string; window: XWindow | null; lines: Line[] }>({ runId: run.id, window: null, lines: [] });
  const [full, setFull] = useState<DataExtent | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The window asked for (null: all the data). The axis follows it as soon as its answer is drawn.
  const [window, setWindow] = useState<XWindow | null>(null);
  // Another run starts zoomed out, with its own extent.
  useEffect(() => {
    setWindow(null);
    setFull(null);
  }, [run.id]);
  const hasLoss = spec.names.some((n) => n.name === 'loss' || n.name.endsWith('/loss'));
  // A marker chosen in the list zooms the loss chart around its step: 100 steps either side.
  useEffect(() => {
    if (focusStep && hasLoss) setWindow({ from: Math.max(0, focusStep.step - 100), to: focusStep.step + 100 });
  }, [focusStep]); // eslint-disable-line react-hooks/exhaustive-deps
  const present = spec.names.filter((n) => available.some((s) => s.name === n.name && s.stream === n.stream));
  const key = present.map((n) => `${n.stream}:${n.name}`).join(',');
  useEffect(() => {
    let stale = false;
    // Finite numbers only: a window the arithmetic spoiled is all the data, never a null sent to the engine.
    const w = window && Number.isFinite(window.from) && Number.isFinite(window.to) ? window : null;
    Promise.all(
      present.map((n) =>
        client
          .call('metrics.window', {
            runId: run.id,
            name: n.name,
            ...(n.stream === 'sys' ? { stream: 'sys' as const } : {}),
            x: 'step',
            maxBuckets: BUCKETS,
            ...(w ? { from: w.from, to: w.to, edges: true } : {}),
          })
          .then((r) => {
            if (n.name === 'tokens' && spec.rate) return { line: rateLine(r), xs: null };
            const { items, band, xs } = fromWindow(r, (step, idx) => step ?? idx);
            return { line: { name: n.name, items, band }, xs: xs && r.total > 1 ? { ...xs, spacing: (xs.to - xs.from) / (r.total - 1) } : xs };
          }),
      ),
    ).then(
      (answers) => {
        if (stale) return;
        setDrawn({ runId: run.id, window: w, lines: answers.map((a) => a.line) });
        if (!w) setFull(extentOf(answers.map((a) => a.xs)));
        setError(null);
      },
      (err: unknown) => !stale && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      stale = true; // another run, window or set of series was asked for since: this answer is not for it
    };
    // Re-query when the run stored more points (seen through `available`, refreshed at most once a
    // second, not on every sync), or the user zoomed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, run.id, available, key, window]);
  if (present.length === 0) return null;
  const mine = drawn.runId === run.id;
  const lines = mine ? drawn.lines : [];
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          Could not load the {spec.title} chart: {error}
        </p>
      )}
      <Chart
        spec={spec}
        lines={lines}
        window={mine ? drawn.window : null}
        requested={window}
        // Before all the data's extent is known (a marker chosen first), the window is all there is.
        full={extentOf([full, mine ? drawn.window : null])}
        marks={hasLoss ? marks : undefined}
        onMark={onMark}
        onWindow={setWindow}
        menu={menu}
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
  const [layout, setLayout] = useState<PanelLayout>(() => loadLayout(run.projectId));
  useEffect(() => setLayout(loadLayout(run.projectId)), [run.projectId]);
  const changeLayout = (next: PanelLayout) => {
    setLayout(next);
    saveLayout(run.projectId, next);
  };
  const [search, setSearch] = useState('');
  const panels = useMemo(() => panelsFor(available), [available]);

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
  const query = search.trim().toLowerCase();
  const matches = (p: PanelSpec) => !query || p.title.toLowerCase().includes(query) || p.names.some((n) => n.name.toLowerCase().includes(query));
  const ordered = orderPanels(panels, layout);
  const groups = [...new Set(ordered.map((p) => p.group))];
  const hiddenCount = panels.filter((p) => layout.hidden.includes(p.id)).length;
  return (
    <section className="run-charts" aria-label="Charts">
      <div className="run-charts-bar">
        <input type="search" className="run-charts-search" placeholder="Search metrics" aria-label="Search metrics" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted">
          {panels.length} chart{panels.length === 1 ? '' : 's'}
          {hiddenCount > 0 && ` (${hiddenCount} hidden)`}
        </span>
        {hiddenCount > 0 && (
          <button type="button" onClick={() => changeLayout({ ...layout, hidden: [] })}>
            Show all charts
          </button>
        )}
      </div>
      {groups.map((group) => {
        const inGroup = ordered.filter((p) => p.group === group && !layout.hidden.includes(p.id) && matches(p));
        if (inGroup.length === 0) return null;
        return (
          <section key={group} className="run-chart-group" aria-label={`${group} charts`}>
            <h3>{group}</h3>
            <div className="charts">
              {inGroup.map((p, i) => (
                <Panel
                  key={p.id}
                  run={run}
                  spec={p}
                  available={available}
                  focusStep={focusStep}
                  marks={marks}
                  onMark={onMark}
                  menu={
                    <PanelMenu
                      title={p.title}
                      first={i === 0}
                      last={i === inGroup.length - 1}
                      onMove={(by) => changeLayout(movePanel(ordered, layout, p, inGroup[i + by]!))}
                      onHide={() => changeLayout({ ...layout, hidden: [...layout.hidden, p.id] })}
                    />
                  }
                />
              ))}
            </div>
          </section>
        );
      })}
      {query && !ordered.some((p) => matches(p) && !layout.hidden.includes(p.id)) && <p className="muted">No chart matches “{search}”.</p>}
    </section>
  );
}

/** Panels in the user's order (ids they placed first, in their order), then the rest as found. */
function orderPanels(panels: PanelSpec[], layout: PanelLayout): PanelSpec[] {
  const rank = new Map(layout.order.map((id, i) => [id, i]));
  return [...panels].sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) || panels.indexOf(a) - panels.indexOf(b));
}

/** The layout with `panel` and `other` swapped (the order of every panel is written, so it sticks). */
function movePanel(ordered: PanelSpec[], layout: PanelLayout, panel: PanelSpec, other: PanelSpec): PanelLayout {
  const ids = ordered.map((p) => p.id);
  const [a, b] = [ids.indexOf(panel.id), ids.indexOf(other.id)];
  [ids[a], ids[b]] = [ids[b]!, ids[a]!];
  return { ...layout, order: ids };
}

function PanelMenu({ title, first, last, onMove, onHide }: { title: string; first: boolean; last: boolean; onMove: (by: 1 | -1) => void; onHide: () => void }) {
  return (
    <span className="run-chart-menu">
      <button type="button" className="icon-button" aria-label={`Move the ${title} chart earlier`} disabled={first} onClick={() => onMove(-1)}>
        ←
      </button>
      <button type="button" className="icon-button" aria-label={`Move the ${title} chart later`} disabled={last} onClick={() => onMove(1)}>
        →
      </button>
      <button type="button" className="icon-button" aria-label={`Hide the ${title} chart`} onClick={onHide}>
        ×
      </button>
    </span>
  );
}
