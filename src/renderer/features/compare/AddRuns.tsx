// Adding runs to a comparison without leaving it: the compared runs' projects' other runs, newest
// first, narrowed by typing part of a name, id or parameter; each added at the end of the comparison.
import { useEffect, useRef, useState } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { useClient } from '../../store/context';
import './compare.css';

export function AddRuns({ projects, compared, onAdd }: { projects: string[]; compared: string[]; onAdd: (id: string) => void }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [rows, setRows] = useState<TableRowOut[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const projectKey = projects.join(',');
  useEffect(() => {
    if (!open) return;
    let stale = false;
    Promise.all((projects.length ? projects : [undefined]).map((project) => client.call('runs.table', { ...(project ? { project } : {}), sort: { key: 'created', dir: 'desc' }, limit: 500 }))).then(
      (answers) => !stale && (setRows(answers.flatMap((a) => a.rows)), setError(null)),
      (err: unknown) => !stale && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      stale = true;
    };
  }, [open, client, projectKey]); // eslint-disable-line react-hooks/exhaustive-deps
  // Closes on Escape or a click outside, as menus do.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onDown = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);
  const q = search.trim().toLowerCase();
  const candidates = rows.filter((r) => !compared.includes(r.id) && (!q || `${r.name} ${r.id} ${JSON.stringify(r.params)}`.toLowerCase().includes(q))).slice(0, 50);
  return (
    <div className="add-runs" ref={box}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Add runs
      </button>
      {open && (
        <div className="add-runs-menu" role="dialog" aria-label="Add runs to the comparison">
          <input type="search" aria-label="Find runs to add" placeholder="Name, id or parameter" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus />
          {error && (
            <p className="form-error" role="alert">
              Could not list runs: {error}
            </p>
          )}
          <ul>
            {candidates.map((r) => (
              <li key={r.id}>
                <button type="button" onClick={() => onAdd(r.id)} aria-label={`Add ${r.name || r.id} to the comparison`}>
                  <span>{r.name || r.id.slice(-8)}</span> <span className="mono muted">{r.id.slice(-8)}</span>
                </button>
              </li>
            ))}
          </ul>
          {candidates.length === 0 && !error && <p className="muted">{rows.length ? 'No other run matches.' : 'Loading runs…'}</p>}
        </div>
      )}
    </div>
  );
}
