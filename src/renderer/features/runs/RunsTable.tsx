// The runs table: filter language, sortable columns (fields, parameters, metric summaries), inline
// tags and notes, and rows drawn only where visible and fetched a page at a time, so 10,000 runs scroll smoothly.
import { useCallback, useEffect, useMemo, useRef, useState, type UIEvent } from 'react';
import { own } from '../../../shared/own';
import type { RunsTableResult, TableRowOut } from '../../../shared/domain/runs-table';
import { ClientError } from '../../api/client';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { NotesCell, TagsCell } from './AnnotationCells';

const ROW_PX = 36;
const VIEW_ROWS = 16;
const PAGE = 200;

interface Column {
  key: string; // the sort key the engine understands
  label: string;
  value: (r: TableRowOut) => string;
  numeric?: boolean;
}

const fmt = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : String(v));

export function RunsTable({ projectId }: { projectId: string | undefined }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const selected = useApp((s) => s.selectedRunIds);
  const toggleSelected = useApp((s) => s.toggleRunSelected);
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  const [error, setError] = useState<{ message: string; position?: number } | null>(null);
  const [sort, setSort] = useState<{ key: string; dir: 'asc' | 'desc' }>({ key: 'created', dir: 'desc' });
  const [meta, setMeta] = useState<Pick<RunsTableResult, 'total' | 'matched' | 'params' | 'metrics'>>({ total: 0, matched: 0, params: [], metrics: [] });
  const [extra, setExtra] = useState<string[] | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [version, setVersion] = useState(0);
  const pages = useRef(new Map<number, TableRowOut[]>());

  // Apply the filter a moment after typing stops.
  useEffect(() => {
    const t = setTimeout(() => setApplied(filter), 250);
    return () => clearTimeout(t);
  }, [filter]);

  // Answers to an older filter or sort can arrive after the new one's: they are dropped, not shown.
  const query = JSON.stringify([projectId, applied, sort]);
  const currentQuery = useRef(query);
  currentQuery.current = query;
  const loading = useRef(new Set<number>());

  const fetchPage = useCallback(
    async (page: number, reset: boolean) => {
      if (!reset && loading.current.has(page)) return; // already on its way
      loading.current.add(page);
      try {
        const r = await client.call('runs.table', { ...(projectId ? { project: projectId } : {}), filter: applied, sort, offset: page * PAGE, limit: PAGE });
        if (currentQuery.current !== query) return;
        if (reset) pages.current = new Map();
        pages.current.set(page, r.rows);
        setMeta({ total: r.total, matched: r.matched, params: r.params, metrics: r.metrics });
        setError(null);
        setVersion((v) => v + 1);
      } catch (err) {
        if (currentQuery.current !== query) return;
        if (err instanceof ClientError)
          setError({ message: err.message, ...(typeof (err.info.details as { position?: number })?.position === 'number' ? { position: (err.info.details as { position: number }).position } : {}) });
        else setError({ message: err instanceof Error ? err.message : String(err) }); // not the engine's: still said
      } finally {
        loading.current.delete(page);
      }
    },
    [client, projectId, applied, sort], // eslint-disable-line react-hooks/exhaustive-deps
  );

  useEffect(() => void fetchPage(0, true), [fetchPage]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = client.on('runs.changed', () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        for (const page of [...pages.current.keys()]) void fetchPage(page, false);
      }, 1000);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [client, fetchPage]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - 5);
  const last = Math.min(meta.matched, first + VIEW_ROWS + 10);
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) if (!pages.current.has(p)) void fetchPage(p, false);
  }, [first, last, fetchPage, version]);

  const chosen = extra ?? [...meta.metrics.filter((m) => m === 'eval_loss' || m === 'loss').map((m) => `${m}.min`), ...meta.params.slice(0, 3)];
  const columns: Column[] = useMemo(
    () => [
      { key: 'id', label: 'Run', value: (r) => r.id.slice(-8) },
      { key: 'status', label: 'Status', value: (r) => r.status.toLowerCase() },
      { key: 'recipe', label: 'Recipe', value: (r) => r.recipe },
      { key: 'host', label: 'Host', value: (r) => r.hostName },
      { key: 'created', label: 'Started', value: (r) => formatShortTime(r.createdAt) },
      ...chosen.map((c): Column => {
        const [name, stat] = c.includes('.') && meta.metrics.includes(c.slice(0, c.lastIndexOf('.'))) ? [c.slice(0, c.lastIndexOf('.')), c.slice(c.lastIndexOf('.') + 1)] : [c, undefined];
        return stat ? { key: c, label: c, numeric: true, value: (r) => fmt(own(r.summaries, name)?.[stat as 'min']) } : { key: c, label: c, numeric: true, value: (r) => fmt(own(r.params, c)) };
      }),
    ],
    [chosen.join('|'), meta.metrics.join('|')], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const rows: (TableRowOut | undefined)[] = [];
  for (let i = first; i < last; i++) rows.push(pages.current.get(Math.floor(i / PAGE))?.[i % PAGE]);
  const toggleSort = (key: string) => setSort((s) => ({ key, dir: s.key === key && s.dir === 'desc' ? 'asc' : 'desc' }));

  return (
    <div className="runs-table">
      <div className="filter-bar">
        <input
          type="search"
          className={error ? 'filter-input has-error' : 'filter-input'}
          aria-label="Filter runs"
          placeholder='e.g. status = succeeded and lr < 3e-4 and eval_loss.min < 1.2 and tag:baseline and recipe ~ "sft"'
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          spellCheck={false}
        />
        <span className="muted nowrap" role="status">
          {meta.matched} of {meta.total} runs
        </span>
        <button
          type="button"
          className="primary"
          disabled={selected.length < 2}
          onClick={() => navigate({ area: 'compare', runIds: selected })}
          title={selected.length < 2 ? 'Select two or more runs' : undefined}
        >
          Compare{selected.length ? ` (${selected.length})` : ''}
        </button>
        <ColumnPicker all={[...meta.metrics.flatMap((m) => [`${m}.min`, `${m}.max`, `${m}.last`]), ...meta.params]} chosen={chosen} onChange={setExtra} />
      </div>
      {error && (
        <div className="filter-error" role="alert">
          {error.position !== undefined && (
            <pre className="filter-pointer" aria-hidden="true">
              {applied}
              {'\n'}
              {' '.repeat(error.position - 1)}^
            </pre>
          )}
          {error.message}
        </div>
      )}
      <div
        className="table-scroll"
        style={{ height: Math.min(VIEW_ROWS, Math.max(meta.matched, 1)) * ROW_PX + ROW_PX + 2 }}
        onScroll={(e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <table className="data-table virtual" aria-label="Runs" aria-rowcount={meta.matched + 1}>
          <thead>
            <tr>
              <th scope="col" className="select-col">
                <span className="visually-hidden">Select</span>
              </th>
              {columns.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="sort-button" onClick={() => toggleSort(c.key)}>
                    {c.label}
                    {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
              <th scope="col">Tags</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            <tr style={{ height: first * ROW_PX }} aria-hidden="true" />
            {rows.map((r, k) =>
              r ? (
                <tr key={r.id} aria-rowindex={first + k + 2} style={{ height: ROW_PX }} className={selected.includes(r.id) ? 'selected' : undefined}>
                  <td className="select-col">
                    <input type="checkbox" aria-label={`Select ${r.id}`} checked={selected.includes(r.id)} onChange={() => toggleSelected(r.id)} />
                  </td>
                  {columns.map((c) => (
                    <td key={c.key} className={c.numeric ? 'num' : c.key === 'id' ? 'mono' : undefined}>
                      {c.key === 'id' ? (
                        <a
                          href={`#/runs/${r.id}`}
                          title={r.id}
                          onClick={(e) => {
                            e.preventDefault();
                            navigate({ area: 'runs', runId: r.id });
                          }}
                        >
                          {c.value(r)}
                        </a>
                      ) : c.key === 'status' ? (
                        <span className={`status status-${r.status.toLowerCase()}`}>{c.value(r)}</span>
                      ) : (
                        c.value(r)
                      )}
                    </td>
                  ))}
                  <td>
                    <TagsCell run={r} />
                  </td>
                  <td>
                    <NotesCell run={r} />
                  </td>
                </tr>
              ) : (
                <tr key={`loading-${first + k}`} style={{ height: ROW_PX }}>
                  <td colSpan={columns.length + 3} className="muted">
                    …
                  </td>
                </tr>
              ),
            )}
            <tr style={{ height: Math.max(0, meta.matched - last) * ROW_PX }} aria-hidden="true" />
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ColumnPicker({ all, chosen, onChange }: { all: string[]; chosen: string[]; onChange: (c: string[]) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="column-picker">
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
        Columns
      </button>
      {open && (
        <div className="column-menu" role="group" aria-label="Columns">
          {all.map((c) => (
            <label key={c} className="checkbox">
              <input type="checkbox" checked={chosen.includes(c)} onChange={(e) => onChange(e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c))} />
              {c}
            </label>
          ))}
        </div>
      )}
    </div>
  );
}
