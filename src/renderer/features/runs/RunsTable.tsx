// The runs table: filter language, sortable columns (fields, parameters, metric summaries), a run's name
// beside its id, inline tags and notes, and rows drawn only where visible and fetched a page at a time, so
// 10,000 runs scroll smoothly. Its view (filter, sort, columns, selection) is the page's: see RunsPage.
// The header and the run column stay in place while scrolling; the rows are one Tab stop, with arrow keys inside.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type UIEvent } from 'react';
import type { RunsTableResult, TableRowOut } from '../../../shared/domain/runs-table';
import { ClientError } from '../../api/client';
import { useApp, useClient } from '../../store/context';
import type { RunsView } from '../../store/route';
import { NotesCell, RunNameCell, TagsCell } from './AnnotationCells';
import { ColumnPicker } from './ColumnPicker';
import { allColumns, columnFor, defaultColumns, fitColumns } from './run-columns';
import './runs-table.css';

/** Width left unused when the default columns are fitted to the table (their widths are estimated). */
const FIT_SPARE_PX = 32;

const ROW_PX = 36;
const VIEW_ROWS = 16;
const PAGE = 200;
const DEFAULT_SORT = { key: 'created', dir: 'desc' } as const;

interface Props {
  /** Only this project's runs (without `view`: a table of its own, its view not kept anywhere). */
  projectId?: string | undefined;
  /** The view to show, and where changes to it go (RunsPage keeps it in the address). */
  view?: RunsView;
  onViewChange?: (change: Partial<RunsView>) => void;
}

export function RunsTable(props: Props) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const projects = useApp((s) => s.projects);
  const [ownView, setOwnView] = useState<RunsView>({});
  const view = props.view ?? ownView;
  const changeView = useCallback((change: Partial<RunsView>) => (props.onViewChange ? props.onViewChange(change) : setOwnView((v) => ({ ...v, ...change }))), [props.onViewChange]); // eslint-disable-line react-hooks/exhaustive-deps
  const projectId = props.view ? view.project : props.projectId;
  const applied = view.filter ?? '';
  const sort = view.sort ?? DEFAULT_SORT;
  const selected = view.selected ?? [];

  // What is typed; the view's filter follows a moment after typing stops, and the box follows the view
  // when it changes from elsewhere (back, forward, a link).
  const [filter, setFilter] = useState(applied);
  const sentFilter = useRef(applied);
  useEffect(() => {
    if (applied !== sentFilter.current) {
      sentFilter.current = applied;
      setFilter(applied);
    }
  }, [applied]);
  useEffect(() => {
    if (filter === sentFilter.current) return;
    const t = setTimeout(() => {
      sentFilter.current = filter;
      changeView({ filter });
    }, 250);
    return () => clearTimeout(t);
  }, [filter, changeView]);

  const [error, setError] = useState<{ message: string; position?: number } | null>(null);
  const [meta, setMeta] = useState<Pick<RunsTableResult, 'total' | 'matched' | 'params' | 'metrics' | 'varies'>>({ total: 0, matched: 0, params: [], metrics: [], varies: [] });
  const [loaded, setLoaded] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const [version, setVersion] = useState(0);
  const pages = useRef(new Map<number, TableRowOut[]>());
  const scroller = useRef<HTMLDivElement>(null);
  // The room for the table, so the default columns are as many as fit it; and the table's own width,
  // which rows laid out later can change (the fit is then checked again, below).
  const [width, setWidth] = useState(0);
  const [tableWidth, setTableWidth] = useState(0);
  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box) return;
    const table = box.querySelector('table');
    const measure = () => {
      setWidth(box.clientWidth);
      setTableWidth(table?.offsetWidth ?? 0);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    if (table) observer.observe(table);
    return () => observer.disconnect();
  }, []);

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
        setMeta((m) => ({ total: r.total, matched: r.matched, params: r.params, metrics: r.metrics, varies: page === 0 ? r.varies : m.varies }));
        setLoaded(true);
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
    [client, projectId, applied, sort.key, sort.dir], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const refresh = useCallback(() => {
    for (const page of [...pages.current.keys()]) void fetchPage(page, false);
  }, [fetchPage]);

  useEffect(() => void fetchPage(0, true), [fetchPage]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = client.on('runs.changed', () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        refresh();
      }, 1000);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [client, refresh]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - 5);
  const last = Math.min(meta.matched, first + VIEW_ROWS + 10);
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) if (!pages.current.has(p)) void fetchPage(p, false);
  }, [first, last, fetchPage, version]);

  const project = projects.find((p) => p.id === projectId);
  const all = useMemo(() => allColumns(meta), [meta.params.join('|'), meta.metrics.join('|')]); // eslint-disable-line react-hooks/exhaustive-deps
  const wanted = defaultColumns(meta, { allProjects: !projectId, objective: project?.objective });
  // Fitted with some room to spare: the widths are estimates, and a table 2 px too wide scrolls sideways.
  // What the estimates still missed is measured after the table is laid out, and the columns are fitted
  // again with that much less room (for this width; a new width starts from the estimates).
  const [missed, setMissed] = useState({ width: 0, px: 0 });
  const missedPx = missed.width === width ? missed.px : 0;
  const firstRows = pages.current.get(0) ?? [];
  const defaults = width > 0 ? fitColumns(wanted, all, firstRows, width - FIT_SPARE_PX - missedPx) : wanted;
  const chosen = view.columns ?? defaults;
  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box || view.columns || width <= 0) return;
    const over = box.scrollWidth - box.clientWidth;
    if (over <= 0) return;
    // The estimates left room to spare where the layout found `over` px too few: take away the least room
    // that drops a column (taking away only `over` changed nothing while the estimates' spare was larger).
    const budget = width - FIT_SPARE_PX - missedPx;
    const drops = (less: number) => fitColumns(wanted, all, firstRows, budget - less).length < defaults.length;
    // Only while a column can go: where the columns that always stay are wider (1024 px), the table scrolls inside.
    if (!drops(budget)) return;
    let [enough, tooLittle] = [budget, 0];
    while (enough - tooLittle > 1) {
      const mid = Math.floor((enough + tooLittle) / 2);
      if (drops(mid)) enough = mid;
      else tooLittle = mid;
    }
    setMissed({ width, px: missedPx + Math.max(enough, over) });
  }, [view.columns, width, tableWidth, missedPx, defaults.join('|'), version]); // eslint-disable-line react-hooks/exhaustive-deps
  const columns = chosen.map((key) => columnFor(key, all));

  const toggleSort = (key: string) => changeView({ sort: { key, dir: sort.key === key && sort.dir === 'desc' ? 'asc' : 'desc' } });
  const toggleSelected = (id: string) => changeView({ selected: selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id] });
  const open = (id: string) => navigate({ area: 'runs', runId: id });

  // Keyboard: the active row is the one Tab stop; arrows move it, Enter opens its run, Space selects it.
  const [active, setActive] = useState(0);
  const pendingFocus = useRef<number | null>(null);
  useEffect(() => setActive(0), [query]);
  const focusRow = (index: number) => {
    const i = Math.max(0, Math.min(meta.matched - 1, index));
    if (i < 0) return;
    setActive(i);
    pendingFocus.current = i;
    const box = scroller.current;
    if (box) {
      const top = i * ROW_PX;
      const room = box.clientHeight - ROW_PX; // below the sticky header
      let next = box.scrollTop;
      if (top < box.scrollTop) next = top;
      else if (top + ROW_PX > box.scrollTop + room) next = top + ROW_PX - room;
      if (next !== box.scrollTop) {
        box.scrollTop = next;
        setScrollTop(next);
      }
    }
  };
  useLayoutEffect(() => {
    if (pendingFocus.current === null) return;
    const row = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${pendingFocus.current}"]`);
    if (row) {
      row.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });
  const tabStop = active >= first && active < last ? active : first;
  const rowControls = (row: HTMLElement) => [...row.querySelectorAll<HTMLElement>('input, a[href], button')];
  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, index: number, run: TableRowOut | undefined) => {
    const row = e.currentTarget;
    const onRow = e.target === row;
    const move = (to: number) => {
      e.preventDefault();
      focusRow(to);
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(index + 1);
      case 'ArrowUp':
        return move(index - 1);
      case 'PageDown':
        return move(index + VIEW_ROWS - 1);
      case 'PageUp':
        return move(index - VIEW_ROWS + 1);
      case 'Home':
        return onRow ? move(0) : undefined;
      case 'End':
        return onRow ? move(meta.matched - 1) : undefined;
      case 'ArrowRight':
      case 'ArrowLeft': {
        // Into the row's own controls (select, name, rename, tags, notes) and back out to the row.
        const controls = rowControls(row);
        const at = onRow ? -1 : controls.indexOf(e.target as HTMLElement);
        const to = e.key === 'ArrowRight' ? at + 1 : at - 1;
        e.preventDefault();
        if (to < 0) row.focus();
        else controls[Math.min(to, controls.length - 1)]?.focus();
        return;
      }
      case 'Enter':
        if (onRow && run) {
          e.preventDefault();
          open(run.id);
        }
        return;
      case ' ':
        if (onRow && run) {
          e.preventDefault();
          toggleSelected(run.id);
        }
        return;
    }
  };

  const rows: (TableRowOut | undefined)[] = [];
  for (let i = first; i < last; i++) rows.push(pages.current.get(Math.floor(i / PAGE))?.[i % PAGE]);
  const sortLabel = (key: string) => (sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '');

  return (
    <div className="runs-table">
      <div className="filter-bar">
        <input
          type="search"
          className={error ? 'filter-input has-error' : 'filter-input'}
          aria-label="Filter runs"
          aria-invalid={error ? true : undefined}
          data-shortcut="filter"
          placeholder='e.g. status = succeeded and lr < 3e-4 and eval_loss.min < 1.2 and tag:baseline and name ~ "warm"'
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
          data-shortcut="compare"
          disabled={selected.length < 2}
          onClick={() => navigate({ area: 'compare', runIds: selected })}
          title={selected.length < 2 ? 'Select two or more runs' : undefined}
        >
          Compare{selected.length ? ` (${selected.length})` : ''}
        </button>
        <ColumnPicker all={all} chosen={chosen} onChange={(c) => changeView({ columns: c })} onReset={() => changeView({ columns: undefined })} />
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
        ref={scroller}
        style={{ height: Math.min(VIEW_ROWS, Math.max(meta.matched, 1)) * ROW_PX + ROW_PX + 2 }}
        onScroll={(e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <table className="data-table virtual" aria-label="Runs" aria-rowcount={meta.matched + 1} aria-busy={!loaded || undefined}>
          <thead>
            <tr>
              <th scope="col" className="select-col sticky-col">
                <span className="visually-hidden">Select</span>
              </th>
              <th scope="col" className="run-col sticky-col" aria-sort={sort.key === 'name' ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                <button type="button" className="sort-button" onClick={() => toggleSort('name')}>
                  Run{sortLabel('name')}
                </button>
              </th>
              {columns.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  className={c.numeric ? 'num' : undefined}
                  aria-sort={c.sortable ? (sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none') : undefined}
                >
                  {c.sortable ? (
                    <button type="button" className="sort-button" onClick={() => toggleSort(c.key)} title={c.key !== c.label ? c.key : undefined}>
                      {c.label}
                      {sortLabel(c.key)}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr style={{ height: first * ROW_PX }} aria-hidden="true" />
            {rows.map((r, k) => {
              const index = first + k;
              const isSelected = r ? selected.includes(r.id) : false;
              return (
                <tr
                  key={r ? r.id : `loading-${index}`}
                  data-index={index}
                  aria-rowindex={index + 2}
                  aria-label={r ? `${r.name} (${r.id})` : undefined}
                  style={{ height: ROW_PX }}
                  className={isSelected ? 'selected' : undefined}
                  tabIndex={index === tabStop ? 0 : -1}
                  onFocus={(e) => {
                    if (e.target === e.currentTarget || e.currentTarget.contains(e.target)) setActive(index);
                  }}
                  onKeyDown={(e) => onRowKey(e, index, r)}
                >
                  {r ? (
                    <>
                      <td className="select-col sticky-col">
                        <input type="checkbox" tabIndex={-1} aria-label={`Select ${r.id}`} checked={isSelected} onChange={() => toggleSelected(r.id)} />
                      </td>
                      <td className="run-col sticky-col">
                        <RunNameCell run={r} onSaved={refresh} onOpen={() => open(r.id)} />
                      </td>
                      {columns.map((c) => (
                        <td key={c.key} className={c.numeric ? 'num' : c.key === 'notes' ? 'notes-col edit-col' : c.key === 'tags' ? 'edit-col' : undefined}>
                          {c.key === 'status' ? (
                            <span className={`status status-${r.status.toLowerCase()}`}>{c.value(r)}</span>
                          ) : c.key === 'tags' ? (
                            <TagsCell run={r} onSaved={refresh} />
                          ) : c.key === 'notes' ? (
                            <NotesCell run={r} onSaved={refresh} />
                          ) : (
                            <CellText text={c.value(r)} />
                          )}
                        </td>
                      ))}
                    </>
                  ) : (
                    <td colSpan={columns.length + 2} className="muted">
                      …
                    </td>
                  )}
                </tr>
              );
            })}
            <tr style={{ height: Math.max(0, meta.matched - last) * ROW_PX }} aria-hidden="true" />
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** A cell's text, cut at the column's widest (see runs-table.css), with the whole value on hover when it is long. */
function CellText({ text }: { text: string }) {
  return (
    <span className="cell-text" title={text.length > 24 ? text : undefined}>
      {text}
    </span>
  );
}
