// The live log: lines are kept in a ref (never in React state or the store), drawn only where visible.
// Follow/Pause is for a log still growing; a finished run's log is read like a file.
import { useEffect, useRef, useState, type UIEvent } from 'react';
import { FINAL_STATUSES, type Run } from '../../../shared/domain/run';
import { useClient } from '../../store/context';
import { LogFollower } from './log-follower';

const LINE_PX = 18;
const VIEW_PX = 360;

export function LogView({ run, jump }: { run: Run; jump?: { line: number; at: number } | undefined }) {
  const client = useClient();
  // One follower per run: the lines it fetches are that run's only.
  const follower = useRef<LogFollower | null>(null);
  const [, setCount] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loadedRun, setLoadedRun] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [scrollTop, setScrollTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const f = new LogFollower(run.id, (id, afterLine, limit) => client.call('runs.logs', { id, afterLine, limit }), {
      lines: setCount,
      // Shown in the log's card: a fetch that failed must not look like a log with no lines. The next
      // event fetches again, and a success clears it.
      error: (err) => setError(err === null ? null : err instanceof Error ? err.message : String(err)),
      loaded: () => setLoadedRun(run.id),
    });
    follower.current = f;
    setCount(0);
    setError(null);
    void f.fetchNew(); // never rejects: failures go to `error`
    const off = client.on('runs.logAppended', (e) => {
      if (e.runId === f.runId) void f.fetchNew();
    });
    return () => {
      off();
      f.stop();
    };
  }, [client, run.id]);
  // The lines of this run only: until the effect above has made this run's follower (the render
  // right after a switch), the last run's lines are not shown as this one's.
  const lines = follower.current?.runId === run.id ? follower.current.lines : [];
  const count = lines.length;
  // Lines stored by another process (a CLI sync) come without a logAppended event: fetch when the
  // run's count says there are lines this view has not got (not on every refresh of the run).
  useEffect(() => {
    const f = follower.current;
    if (f?.runId === run.id && run.logLines > f.lines.length) void f.fetchNew();
  }, [run.id, run.logLines]);

  const [highlight, setHighlight] = useState<number | null>(null);
  useEffect(() => {
    if (!jump) return;
    setFollow(false);
    setQuery('');
    setHighlight(jump.line);
    const el = box.current;
    if (el) {
      el.scrollTop = Math.max(0, (jump.line - 1) * LINE_PX - VIEW_PX / 2);
      setScrollTop(el.scrollTop);
      el.scrollIntoView({ block: 'nearest' });
    }
  }, [jump]);

  const shown = query ? lines.map((t, i) => [i, t] as const).filter(([, t]) => t.toLowerCase().includes(query.toLowerCase())) : lines.map((t, i) => [i, t] as const);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [count, follow, shown.length]);

  const finished = FINAL_STATUSES.includes(run.status);
  const loaded = loadedRun === run.id && follower.current?.runId === run.id && follower.current.loaded;
  const synthetic = run.remoteDir.startsWith('synthetic:');
  const first = Math.max(0, Math.floor(scrollTop / LINE_PX) - 20);
  const last = Math.min(shown.length, first + Math.ceil(VIEW_PX / LINE_PX) + 40);
  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    const el = e.currentTarget;
    setScrollTop(el.scrollTop);
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_PX * 2;
    if (!atBottom && follow) setFollow(false);
  };

  return (
    <section className="card wide" aria-labelledby="log-heading">
      <div className="card-header">
        <h2 id="log-heading">Log</h2>
        <div className="toolbar">
          <input type="search" aria-label="Search the log" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
          <span className="muted">{query ? `${shown.length} of ${count} lines` : `${count} lines`}</span>
          {!finished && (
            <button type="button" onClick={() => setFollow(!follow)} aria-pressed={follow}>
              {follow ? 'Pause' : 'Follow'}
            </button>
          )}
        </div>
      </div>
      {error && (
        <p className="form-error" role="alert">
          Could not load the log: {error}
        </p>
      )}
      {count === 0 && !error && (
        <p className="muted log-empty" role="status">
          {!loaded
            ? 'Loading the log…'
            : synthetic
              ? 'This log is empty: demo runs are made by demo seed with metrics only, no log.'
              : finished
                ? 'This log is empty: the run wrote no output.'
                : 'This log is empty so far: lines appear here as the run writes them.'}
        </p>
      )}
      <div className="log" ref={box} onScroll={onScroll} style={{ height: VIEW_PX }} role="log" aria-label="Run log" aria-live="off">
        <div style={{ height: shown.length * LINE_PX, position: 'relative' }}>
          {shown.slice(first, last).map(([i, text], k) => (
            <div key={i} className={i + 1 === highlight ? 'log-line highlighted' : 'log-line'} data-line={i + 1} style={{ top: (first + k) * LINE_PX, height: LINE_PX }}>
              <span className="log-n">{i + 1}</span>
              {text}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
