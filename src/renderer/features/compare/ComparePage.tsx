// Compare: the runs picked in the runs table, overlaid per metric, with a config diff against a baseline.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import type { Client } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { useApp, useClient } from '../../store/context';
import { AddRuns } from './AddRuns';
import { CompareChart, type Axis } from './CompareChart';
import { ConfigDiff } from './ConfigDiff';
import { ParallelCoordinates } from './ParallelCoordinates';
import { seedGroups } from './seed-groups';
import { curveStyles } from './colors';

export function ComparePage() {
  const client = useClient();
  const selected = useApp((s) => s.selectedRunIds);
  const toggle = useApp((s) => s.toggleRunSelected);
  const setSelection = useApp((s) => s.setSelection);
  const navigate = useApp((s) => s.navigate);
  const route = useApp((s) => s.route);
  // A link to a comparison (#/compare/ID,ID,...) brings its runs with it.
  const linked = route.area === 'compare' ? route.runIds?.join(',') : undefined;
  useEffect(() => {
    if (linked) setSelection(linked.split(','));
  }, [linked, setSelection]);
  const [runs, setRuns] = useState<TableRowOut[]>([]);
  const [missing, setMissing] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [axis, setAxis] = useState<Axis>('step');
  const [smoothing, setSmoothing] = useState(0);
  const [logScale, setLogScale] = useState(false);
  const [groupSeeds, setGroupSeeds] = useState(false);

  useEffect(() => {
    setLoadError(null);
    if (selected.length === 0) {
      setRuns([]);
      setMissing([]);
      return;
    }
    let stale = false; // an answer for an older selection must not replace the newer one's
    pickedRows(client, selected).then(
      (picked) => {
        if (stale) return;
        setRuns(picked.rows);
        setMissing(picked.missing);
      },
      (err: unknown) => {
        if (stale) return;
        setRuns([]);
        setLoadError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      stale = true;
    };
  }, [client, selected]);

  // One colour per curve, the same on the chips, the charts, the config table and parallel coordinates.
  // Kept between renders: a new map would draw the parallel coordinates again each time.
  const groups = useMemo(() => seedGroups(runs), [runs]);
  const styles = useMemo(
    () =>
      curveStyles(
        runs.map((r) => r.id),
        groupSeeds ? groups : undefined,
      ),
    [runs, groups, groupSeeds],
  );
  const metrics = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.summaries)))].sort(), [runs]);
  const PREFERRED = ['loss', 'eval_loss', 'learning_rate', 'grad_norm'];
  const shownMetrics = (chosen ?? PREFERRED.filter((m) => metrics.includes(m))).filter((m) => metrics.includes(m));

  if (selected.length === 0) {
    return (
      <>
        <header className="page-header">
          <h1>Compare</h1>
        </header>
        <EmptyState
          title="Nothing to compare yet"
          action={
            <button type="button" className="primary" onClick={() => navigate({ area: 'runs' })}>
              Pick runs
            </button>
          }
        >
          <p>Tick two or more runs in the runs table, then choose Compare.</p>
        </EmptyState>
      </>
    );
  }
  const ids = runs.map((r) => r.id);
  const shownGroups = groupSeeds ? groups : undefined;
  const groupSize = (id: string) => shownGroups?.find((g) => g.includes(id))?.length ?? 1;
  return (
    <>
      <header className="page-header">
        <h1>Compare</h1>
        <div className="toolbar compare-controls">
          <AddRuns
            projects={[...new Set(runs.map((r) => r.projectId))]}
            compared={selected}
            onAdd={(id) => {
              toggle(id);
              navigate({ area: 'compare', runIds: [...selected, id] });
            }}
          />
          <MetricPicker all={metrics} chosen={shownMetrics} onChange={setChosen} />
          <label className="checkbox">
            X axis
            <select aria-label="X axis" value={axis} onChange={(e) => setAxis(e.target.value as Axis)} className="project-select">
              <option value="step">step</option>
              <option value="tokens" disabled={!metrics.includes('tokens')}>
                tokens seen
              </option>
              <option value="time">wall time</option>
              <option value="relative">relative time</option>
            </select>
          </label>
          <label className="checkbox">
            Smoothing
            <input type="range" aria-label="Smoothing" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
            <span className="mono">{smoothing.toFixed(2)}</span>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} />
            Log scale
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={groupSeeds} onChange={(e) => setGroupSeeds(e.target.checked)} />
            Group seeds
          </label>
        </div>
      </header>
      {loadError && (
        <p className="form-error" role="alert">
          Could not load the runs to compare: {loadError}
        </p>
      )}
      {missing.length > 0 && (
        <p className="form-error" role="alert">
          {missing.length === 1 ? 'One picked run is' : `${missing.length} picked runs are`} not in the runs table (removed, or not a training run): {missing.map((id) => id.slice(-8)).join(', ')}.
        </p>
      )}
      <ul className="run-chips" aria-label="Compared runs">
        {runs.map((r) => (
          <li key={r.id}>
            <span className="swatch" style={{ background: styles.get(r.id)?.color }} />
            <span className="mono">{r.id.slice(-8)}</span>
            {groupSize(r.id) > 1 && <span className="muted chip-group"> (seed group of {groupSize(r.id)})</span>}
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove ${r.id} from the comparison`}
              onClick={() => {
                toggle(r.id);
                navigate({ area: 'compare', runIds: selected.filter((x) => x !== r.id) });
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {shownMetrics.map((m) => (
        <CompareChart key={m} runIds={ids} metric={m} axis={axis} smoothing={smoothing} logScale={logScale} groups={shownGroups} />
      ))}
      {/* Below the charts: rendered once the charts in view have sent their queries. */}
      <AfterFirstPaint>
        <ConfigDiff key={ids.join(',')} runs={runs} styles={styles} />
        <ParallelCoordinates runs={runs} styles={styles} />
      </AfterFirstPaint>
    </>
  );
}

/**
 * Its children, from the task after the page's first commit on: the config table of 50 runs took ~20
 * ms to render in the same commit as the charts, and the charts' queries waited for it.
 */
function AfterFirstPaint({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setShown(true));
    return () => clearTimeout(timer);
  }, []);
  return shown ? children : null;
}

/** The most rows one runs.table answer holds. */
const PAGE = 1000;

/**
 * The picked runs' table rows, in the order they were picked, asked for by id a page at a time (the
 * filter language has a length limit that 60 ids passed); ids the table does not have are `missing`.
 */
async function pickedRows(client: Client, ids: string[]): Promise<{ rows: TableRowOut[]; missing: string[] }> {
  const pages: string[][] = [];
  for (let i = 0; i < ids.length; i += PAGE) pages.push(ids.slice(i, i + PAGE));
  const answers = await Promise.all(pages.map((page) => client.call('runs.table', { ids: page, limit: PAGE })));
  const byId = new Map(answers.flatMap((a) => a.rows.map((row) => [row.id, row] as const)));
  return { rows: ids.flatMap((id) => byId.get(id) ?? []), missing: ids.filter((id) => !byId.has(id)) };
}

function MetricPicker({ all, chosen, onChange }: { all: string[]; chosen: string[]; onChange: (c: string[]) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="column-picker">
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
        Metrics ({chosen.length})
      </button>
      {open && (
        <div className="column-menu" role="group" aria-label="Metrics">
          {all.map((m) => (
            <label key={m} className="checkbox">
              <input type="checkbox" checked={chosen.includes(m)} onChange={(e) => onChange(e.target.checked ? [...chosen, m] : chosen.filter((x) => x !== m))} />
              {m}
            </label>
          ))}
        </div>
      )}
    </div>
  );
}
