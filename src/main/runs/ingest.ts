// Turns complete lines of a remote file into rows, and stores rows and cursor in one transaction,
// so a crash or a dropped link between two reads can neither lose nor repeat a line.
import type Database from 'better-sqlite3';
import { PyramidBatch } from '../metrics/pyramid';
import { isLossName, logMarker, LossWatch, SPIKE_WINDOW, type Marker } from './markers';

export const MAX_METRIC_LINE_BYTES = 1024 * 1024;
export const MAX_LOG_LINE_CHARS = 64 * 1024;
export const MAX_MARKERS = 200;

export interface Cursor {
  fileId: string;
  offset: number;
  epoch: number;
  skipping: boolean;
}

export type StreamKind = 'log' | 'metrics' | 'sys' | 'events';

interface SeriesState {
  points: number;
  lastSeq: number;
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  last: number | null;
  lastStep: number | null;
}

export interface ParsedPoint {
  seq: number;
  ts: number;
  step: number | null;
  kind: string;
  values: [string, number | null][];
}

const NON_FINITE = new Set(['nan', 'inf', '-inf', 'infinity', '-infinity']);

/** One metrics line, or null when it is malformed (not JSON, missing fields, no numeric values). */
export function parseMetricLine(line: string): ParsedPoint | null {
  // A UTF-8 character is 1 to 4 bytes: count bytes only when the length leaves it in doubt.
  if (line.length > MAX_METRIC_LINE_BYTES || (line.length > MAX_METRIC_LINE_BYTES / 4 && Buffer.byteLength(line) > MAX_METRIC_LINE_BYTES)) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return null;
  if (typeof o.m !== 'object' || o.m === null || Array.isArray(o.m)) return null;
  const ts = typeof o.ts === 'number' && Number.isFinite(o.ts) ? o.ts : null;
  if (ts === null) return null;
  const step = typeof o.step === 'number' && Number.isFinite(o.step) ? o.step : null;
  const values: [string, number | null][] = [];
  for (const [name, raw] of Object.entries(o.m as Record<string, unknown>)) {
    if (name.length === 0 || name.length > 200) continue;
    if (typeof raw === 'number' && Number.isFinite(raw)) values.push([name, raw]);
    else if (typeof raw === 'string' && NON_FINITE.has(raw.toLowerCase())) values.push([name, null]); // kept: a NaN loss matters
  }
  if (values.length === 0) return null;
  return { seq: o.seq as number, ts, step, kind: typeof o.kind === 'string' ? o.kind.slice(0, 20) : 'train', values };
}

/** One events.jsonl line: {"ts": seconds, "event": kind, "step"?: n, ...}, or null when malformed. */
export function parseEventLine(line: string): { ts: number; kind: string; step: number | null } | null {
  if (line.length > MAX_METRIC_LINE_BYTES) return null;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.event !== 'string' || typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return null;
    return { ts: o.ts, kind: o.event.slice(0, 50), step: typeof o.step === 'number' && Number.isFinite(o.step) ? o.step : null };
  } catch {
    return null;
  }
}

function startedBefore(db: Database.Database, runId: string): boolean {
  return (db.prepare("SELECT count(*) AS n FROM run_events WHERE run_id = ? AND kind = 'started'").get(runId) as { n: number }).n > 1;
}

/** Splits a chunk read at `offset` into complete lines; returns how many bytes they cover. */
export function completeLines(chunk: Buffer, offset: number): { lines: { offset: number; text: string }[]; consumed: number } {
  const lines: { offset: number; text: string }[] = [];
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    if (nl === -1) break;
    lines.push({ offset: offset + start, text: chunk.toString('utf8', start, nl) });
    start = nl + 1;
  }
  return { lines, consumed: start };
}

export class Ingestor {
  private readonly stmts;

  /** Series ids by run, stream and name: looked up once, not once per point. */
  private readonly seriesIds = new Map<string, Map<string, number>>();

  private readonly pyramid: PyramidBatch;

  constructor(private readonly db: Database.Database) {
    this.pyramid = new PyramidBatch(db);
    this.stmts = {
      cursor: db.prepare<[string, string], { file_id: string; offset: number; epoch: number; skipping: number }>('SELECT file_id, offset, epoch, skipping FROM run_cursors WHERE run_id = ? AND file = ?'),
      saveCursor: db.prepare<[string, string, string, number, number, number]>(
        'INSERT INTO run_cursors (run_id, file, file_id, offset, epoch, skipping) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, file) DO UPDATE SET file_id = excluded.file_id, offset = excluded.offset, epoch = excluded.epoch, skipping = excluded.skipping',
      ),
      lastLine: db.prepare<[string], { n: number | null }>('SELECT max(n) AS n FROM log_lines WHERE run_id = ?'),
      insertLine: db.prepare<[string, number, number, number, string]>('INSERT OR IGNORE INTO log_lines (run_id, n, epoch, offset, text) VALUES (?, ?, ?, ?, ?)'),
      findSeries: db.prepare<[string, string, string], { id: number }>('SELECT id FROM metric_series WHERE run_id = ? AND stream = ? AND name = ?'),
      insertSeries: db.prepare<[string, string, string, string]>('INSERT INTO metric_series (run_id, stream, name, kind) VALUES (?, ?, ?, ?)'),
      insertPoint: db.prepare<[number, number, number, number, number | null, number | null]>('INSERT INTO metric_points (series_id, idx, seq, ts, step, value) VALUES (?, ?, ?, ?, ?, ?)'),
      seriesState: db.prepare<[number], SeriesState>(
        'SELECT points, last_seq AS lastSeq, min, min_step AS minStep, max, max_step AS maxStep, last, last_step AS lastStep FROM metric_series WHERE id = ?',
      ),
      setSeriesState: db.prepare<[SeriesState & { id: number }]>(
        'UPDATE metric_series SET points = @points, last_seq = @lastSeq, min = @min, min_step = @minStep, max = @max, max_step = @maxStep, last = @last, last_step = @lastStep WHERE id = @id',
      ),
      addMalformed: db.prepare<[number, string]>('UPDATE runs SET malformed_lines = malformed_lines + ? WHERE id = ?'),
      addEvent: db.prepare<[string, number, string, number | null, string]>('INSERT INTO run_events (run_id, ts, kind, step, data) VALUES (?, ?, ?, ?, ?)'),
      addMarker: db.prepare<[string, string, number | null, number | null, string]>('INSERT INTO run_markers (run_id, kind, line, step, detail) VALUES (?, ?, ?, ?, ?)'),
      markerCount: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM run_markers WHERE run_id = ? AND kind = ?'),
      recentValues: db.prepare<[number, number], { value: number }>('SELECT value FROM metric_points WHERE series_id = ? AND idx >= ? AND value IS NOT NULL ORDER BY idx'),
    };
  }

  cursor(runId: string, file: string): Cursor | undefined {
    const r = this.stmts.cursor.get(runId, file);
    return r && { fileId: r.file_id, offset: r.offset, epoch: r.epoch, skipping: r.skipping === 1 };
  }

  /**
   * Stores the complete lines of `chunk` (read at cursor.offset) and moves the cursor, atomically.
   * `full` says the chunk was as long as we asked for: a chunk with no newline is then an overlong line.
   * Returns the log lines added (for live events) and how far the cursor moved.
   */
  store(runId: string, file: string, kind: StreamKind, cursor: Cursor, chunk: Buffer, full: boolean): { added: number; malformed: number; next: Cursor; stale: boolean } {
    let { lines, consumed } = completeLines(chunk, cursor.offset);
    let skipping = cursor.skipping;
    let malformed = 0;
    if (skipping && lines.length > 0) {
      lines = lines.slice(1); // the tail of an overlong line we already counted
      skipping = false;
    }
    if (consumed === 0 && full) {
      // No newline in a whole chunk: an overlong line. Count it once and skip to its end.
      if (!skipping) malformed++;
      consumed = chunk.length;
      skipping = true;
    }
    const next: Cursor = { fileId: cursor.fileId, offset: cursor.offset + consumed, epoch: cursor.epoch, skipping };
    let added = 0;
    let stale = false;
    const markers: Marker[] = [];
    const write = this.db.transaction(() => {
      // Another process (the app beside a `run wait`) may have stored this chunk already: the cursor
      // we read from must still be the stored one, or we store nothing.
      const current = this.cursor(runId, file);
      if (!current || current.fileId !== cursor.fileId || current.offset !== cursor.offset || current.epoch !== cursor.epoch) {
        stale = true;
        return;
      }
      if (kind === 'log') {
        let n = this.stmts.lastLine.get(runId)?.n ?? 0;
        for (const line of lines) {
          const text = line.text.length > MAX_LOG_LINE_CHARS ? `${line.text.slice(0, MAX_LOG_LINE_CHARS)} … [line cut at ${MAX_LOG_LINE_CHARS} characters]` : line.text;
          const r = this.stmts.insertLine.run(runId, n + 1, cursor.epoch, line.offset, text);
          if (r.changes > 0) {
            n++;
            added++;
            const marker = logMarker(line.text, n);
            if (marker) markers.push(marker);
          }
        }
      } else if (kind === 'events') {
        for (const line of lines) {
          if (line.text.trim() === '') continue;
          const event = parseEventLine(line.text);
          if (!event) {
            malformed++;
            continue;
          }
          this.stmts.addEvent.run(runId, event.ts, event.kind, event.step, line.text.slice(0, 10_000));
          if (event.kind === 'started' && startedBefore(this.db, runId)) markers.push({ kind: 'restart', line: null, step: event.step, detail: 'the run started again' });
          added++;
        }
      } else {
        // A series' state is read fresh in each transaction: another process may have added points.
        const states = new Map<number, SeriesState>();
        const watches = new Map<number, LossWatch>();
        for (const line of lines) {
          if (line.text.trim() === '') continue;
          const point = parseMetricLine(line.text);
          if (!point) {
            malformed++;
            continue;
          }
          for (const [name, value] of point.values) {
            const sid = this.seriesId(runId, kind, name, point.kind);
            let state = states.get(sid);
            if (!state) states.set(sid, (state = this.stmts.seriesState.get(sid)!));
            // Sequence numbers only grow in a series: one not above the last was stored already.
            if (point.seq <= state.lastSeq) continue;
            if (isLossName(name)) {
              let watch = watches.get(sid);
              if (!watch) {
                const seed = this.stmts.recentValues.all(sid, Math.max(0, state.points - SPIKE_WINDOW)).map((r) => r.value);
                watches.set(sid, (watch = new LossWatch(seed)));
              }
              const marker = watch.check(name, value, point.step);
              if (marker) markers.push(marker);
            }
            this.stmts.insertPoint.run(sid, state.points, point.seq, point.ts, point.step, value);
            this.pyramid.add(sid, state.points, value, point.step, point.ts);
            state.points++;
            state.lastSeq = point.seq;
            if (value !== null) {
              if (state.min === null || value < state.min) [state.min, state.minStep] = [value, point.step];
              if (state.max === null || value > state.max) [state.max, state.maxStep] = [value, point.step];
            }
            state.last = value;
            state.lastStep = point.step;
            added++;
          }
        }
        for (const [id, st] of states) this.stmts.setSeriesState.run({ ...st, id });
        this.pyramid.flush();
      }
      if (malformed) this.stmts.addMalformed.run(malformed, runId);
      this.storeMarkers(runId, markers);
      this.stmts.saveCursor.run(runId, file, next.fileId, next.offset, next.epoch, next.skipping ? 1 : 0);
    });
    try {
      write.immediate();
    } catch (err) {
      this.seriesIds.clear(); // series rows made in the rolled-back transaction are gone
      this.pyramid.clear();
      throw err;
    }
    if (stale) return { added: 0, malformed: 0, next: this.cursor(runId, file) ?? cursor, stale: true };
    return { added, malformed, next, stale: false };
  }

  /** At most MAX_MARKERS of a kind per run: a run that spikes all along is one finding, not a flood. */
  private storeMarkers(runId: string, markers: Marker[]): void {
    const counts = new Map<string, number>();
    for (const m of markers) {
      const n = counts.get(m.kind) ?? this.stmts.markerCount.get(runId, m.kind)!.n;
      if (n >= MAX_MARKERS) continue;
      this.stmts.addMarker.run(runId, m.kind, m.line, m.step, m.detail);
      counts.set(m.kind, n + 1);
    }
  }

  private seriesId(runId: string, stream: string, name: string, kind: string): number {
    const key = `${runId}/${stream}`;
    let names = this.seriesIds.get(key);
    if (!names) this.seriesIds.set(key, (names = new Map()));
    let id = names.get(name);
    if (id === undefined) {
      id = this.stmts.findSeries.get(runId, stream, name)?.id ?? Number(this.stmts.insertSeries.run(runId, stream, name, kind).lastInsertRowid);
      names.set(name, id);
    }
    return id;
  }

  /** A file that was replaced or truncated starts a new epoch from offset 0. */
  startEpoch(runId: string, file: string, fileId: string, previous: Cursor | undefined): Cursor {
    const next: Cursor = { fileId, offset: 0, epoch: previous ? previous.epoch + 1 : 0, skipping: false };
    this.stmts.saveCursor.run(runId, file, next.fileId, 0, next.epoch, 0);
    return next;
  }
}
