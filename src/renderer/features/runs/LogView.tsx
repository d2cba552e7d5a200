// The live log: lines are kept in a ref (never in React state or the store), drawn only where visible.
import { useCallback, useEffect, useRef, useState, type UIEvent } from 'react';
import type { Run } from '../../../shared/domain/run';
import { useClient } from '../../store/context';

const LINE_PX = 18;
const VIEW_PX = 360;

export function LogView({ run, jump }: { run: Run; jump?: { line: number; at: number } | undefined }) {
  const client = useClient();
  const lines = useRef<string[]>([]);
  const [count, setCount] = useState(0);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [scrollTop, setScrollTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const fetching = useRef(false);

  const fetchNew = useCallback(async () => {
    if (fetching.current) return;
    fetching.current = true;
    try {
      for (;;) {
        const batch = await client.call('runs.logs', { id: run.id, afterLine: lines.current.length, limit: 5000 });
        if (batch.length === 0) break;
        for (const l of batch) lines.current[l.n - 1] = l.text;
        setCount(lines.current.length);
        if (batch.length < 5000) break;
      }
    } catch {
      // The status bar shows a dropped link; the next event fetches again.
    } finally {
      fetching.current = false;
    }
  }, [client, run.id]);

  useEffect(() => {
    lines.current = [];
    setCount(0);
    void fetchNew();
    return client.on('runs.logAppended', (e) => {
      if (e.runId === run.id) void fetchNew();
    });
  }, [client, run.id, fetchNew]);
  // Lines stored by another process (a CLI sync) come without a logAppended event: fetch when the
  // run's count says there are lines this view has not got (not on every refresh of the run).
  useEffect(() => {
    if (run.logLines > lines.current.length) void fetchNew();
  }, [run.logLines, fetchNew]);

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

  const shown = query ? lines.current.map((t, i) => [i, t] as const).filter(([, t]) => t.toLowerCase().includes(query.toLowerCase())) : lines.current.map((t, i) => [i, t] as const);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [count, follow, shown.length]);

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
          <button type="button" onClick={() => setFollow(!follow)} aria-pressed={follow}>
            {follow ? 'Pause' : 'Follow'}
          </button>
        </div>
      </div>
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
