// Turns complete lines of a remote file into rows, and stores rows and cursor in one transaction,
// so a crash or a dropped link between two reads can neither lose nor repeat a line.
import type Database from 'better-sqlite3';
import { isOpenTraceback, logMarker, MARKER_SCAN_CHARS, TRACEBACK_MAX_LINES, tracebackEnd, type Marker } from './markers';
import { MAX_METRIC_LINE_BYTES } from './metric-line';
import { completeBytes, MetricPoints } from './metric-points';

export { MAX_METRIC_LINE_BYTES, parseMetricLine, type ParsedPoint } from './metric-line';
export const MAX_LOG_LINE_CHARS = 64 * 1024;
export const MAX_MARKERS = 200;

export interface Cursor {
  fileId: string;
  offset: number;
  epoch: number;
  skipping: boolean;
}

export type StreamKind = 'log' | 'clock' | 'metrics' | 'sys' | 'events' | 'cases';

/** Stores a test run's cases.jsonl lines, inside the ingest transaction (see testing/test-records.ts). */
export type CaseLinesSink = (runId: string, lines: readonly { text: string }[]) => { added: number; malformed: number };

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

/** One logs/output.clock line: {"offset": bytes, "ts": seconds}, or null when malformed. */
export function parseClockLine(line: string): { offset: number; ts: number } | null {
  if (line.length > 1000) return null;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.offset) || (o.offset as number) < 0 || typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return null;
    return { offset: o.offset as number, ts: o.ts };
  } catch {
    return null;
  }
}

function startedBefore(db: Database.Database, runId: string): boolean {
  return (db.prepare("SELECT count(*) AS n FROM run_events WHERE run_id = ? AND kind = 'started'").get(runId) as { n: number }).n > 1;
}

/**
 * Splits a chunk read at `offset` into complete lines; returns how many bytes they cover. With
 * `maxChars`, a longer line is decoded only as far as its first maxChars + 1 characters (which
 * 3 * (maxChars + 1) bytes always hold): enough to tell it is too long and to cut it, without
 * decoding megabytes that are thrown away.
 */
export function completeLines(chunk: Buffer, offset: number, maxChars = Infinity): { lines: { offset: number; text: string }[]; consumed: number } {
  const lines: { offset: number; text: string }[] = [];
  const maxBytes = 3 * (maxChars + 1);
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    if (nl === -1) break;
    lines.push({ offset: offset + start, text: chunk.toString('utf8', start, Math.min(nl, start + maxBytes)) });
    start = nl + 1;
  }
  return { lines, consumed: start };
}

export class Ingestor {
  private readonly stmts;

  private readonly points: MetricPoints;

  constructor(
    private readonly db: Database.Database,
    private readonly caseLines?: CaseLinesSink,
  ) {
    this.points = new MetricPoints(db);
    this.stmts = {
      cursor: db.prepare<[string, string], { file_id: string; offset: number; epoch: number; skipping: number }>(
        'SELECT file_id, offset, epoch, skipping FROM run_cursors WHERE run_id = ? AND file = ?',
      ),
      saveCursor: db.prepare<[string, string, string, number, number, number]>(
        'INSERT INTO run_cursors (run_id, file, file_id, offset, epoch, skipping) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, file) DO UPDATE SET file_id = excluded.file_id, offset = excluded.offset, epoch = excluded.epoch, skipping = excluded.skipping',
      ),
      lastLine: db.prepare<[string], { n: number | null }>('SELECT max(n) AS n FROM log_lines WHERE run_id = ?'),
      insertLine: db.prepare<[string, number, number, number, string]>('INSERT OR IGNORE INTO log_lines (run_id, n, epoch, offset, text) VALUES (?, ?, ?, ?, ?)'),
      addMalformed: db.prepare<[number, string]>('UPDATE runs SET malformed_lines = malformed_lines + ? WHERE id = ?'),
      addTick: db.prepare<[string, number, number, number]>('INSERT OR IGNORE INTO log_clock (run_id, epoch, offset, ts) VALUES (?, ?, ?, ?)'),
      addEvent: db.prepare<[string, number, string, number | null, string]>('INSERT INTO run_events (run_id, ts, kind, step, data) VALUES (?, ?, ?, ?, ?)'),
      addMarker: db.prepare<[string, string, number | null, number | null, string]>('INSERT INTO run_markers (run_id, kind, line, step, detail) VALUES (?, ?, ?, ?, ?)'),
      markerCount: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM run_markers WHERE run_id = ? AND kind = ?'),
      lastTraceback: db.prepare<[string], { id: number; line: number | null; detail: string }>(
        "SELECT id, line, detail FROM run_markers WHERE run_id = ? AND kind = 'traceback' ORDER BY id DESC LIMIT 1",
      ),
      setMarkerDetail: db.prepare<[string, number]>('UPDATE run_markers SET detail = ? WHERE id = ?'),
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
    // Log and events lines are split with their offsets; metrics lines are scanned in place (hot path).
    const byLine = kind === 'log' || kind === 'events' || kind === 'clock' || kind === 'cases';
    let lines: { offset: number; text: string }[] = [];
    let consumed: number;
    if (byLine) ({ lines, consumed } = completeLines(chunk, cursor.offset, kind === 'log' ? MAX_LOG_LINE_CHARS : Infinity));
    else consumed = completeBytes(chunk);
    let skipping = cursor.skipping;
    let malformed = 0;
    const text = byLine ? '' : chunk.toString('utf8', 0, consumed);
    let from = 0;
    if (skipping && consumed > 0) {
      // The tail of an overlong line we already counted.
      if (byLine) lines = lines.slice(1);
      else from = text.indexOf('\n') + 1;
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
        // A traceback's marker says the exception it ended with, which may come chunks after its header.
        let open = lines.length ? this.openTraceback(runId, n) : null;
        for (const line of lines) {
          const text = line.text.length > MAX_LOG_LINE_CHARS ? `${line.text.slice(0, MAX_LOG_LINE_CHARS)} … [line cut at ${MAX_LOG_LINE_CHARS} characters]` : line.text;
          const r = this.stmts.insertLine.run(runId, n + 1, cursor.epoch, line.offset, text);
          if (r.changes > 0) {
            n++;
            added++;
            if (open && n - open.line > TRACEBACK_MAX_LINES) open = null;
            const end = open ? tracebackEnd(open.header, text.slice(0, MARKER_SCAN_CHARS)) : undefined;
            if (open && end !== undefined) {
              if (open.marker) open.marker.detail = end;
              else this.stmts.setMarkerDetail.run(end, open.id!);
              open = null;
            }
            // On the stored text: patterns over a line of megabytes held the engine for seconds.
            const marker = logMarker(text, n);
            if (marker) markers.push(marker);
            if (marker?.kind === 'traceback') open = { id: null, line: n, header: marker.detail, marker };
          }
        }
      } else if (kind === 'clock') {
        for (const line of lines) {
          const tick = parseClockLine(line.text);
          if (tick) this.stmts.addTick.run(runId, cursor.epoch, tick.offset, tick.ts);
          else if (line.text.trim() !== '') malformed++;
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
          if (event.kind === 'started' && startedBefore(this.db, runId)) {
            // A SLURM requeue says which attempt this is; the boundary is shown on the charts and in the log.
            const attempt = /"attempt":\s*(\d+)/.exec(line.text)?.[1];
            markers.push({ kind: 'restart', line: null, step: event.step, detail: attempt ? `attempt ${Number(attempt) + 1} started (the job was requeued)` : 'the run started again' });
          }
          added++;
        }
      } else if (kind === 'cases') {
        if (!this.caseLines) throw new Error('no store for test cases');
        const r = this.caseLines(runId, lines);
        added += r.added;
        malformed += r.malformed;
      } else {
        const r = this.points.store(runId, kind, text, from, markers);
        added += r.added;
        malformed += r.malformed;
      }
      if (malformed) this.stmts.addMalformed.run(malformed, runId);
      this.storeMarkers(runId, markers);
      this.stmts.saveCursor.run(runId, file, next.fileId, next.offset, next.epoch, next.skipping ? 1 : 0);
    });
    try {
      write.immediate();
    } catch (err) {
      this.points.forget();
      throw err;
    }
    if (stale) return { added: 0, malformed: 0, next: this.cursor(runId, file) ?? cursor, stale: true };
    return { added, malformed, next, stale: false };
  }

  /** The run's last traceback marker while its exception line is still to come (stored by an earlier chunk). */
  private openTraceback(runId: string, lastLine: number): { id: number | null; line: number; header: string; marker?: Marker } | null {
    const last = this.stmts.lastTraceback.get(runId);
    if (!last || last.line === null || !isOpenTraceback({ kind: 'traceback', detail: last.detail }) || lastLine - last.line > TRACEBACK_MAX_LINES) return null;
    return { id: last.id, line: last.line, header: last.detail };
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

  /** A file that was replaced or truncated starts a new epoch from offset 0. */
  startEpoch(runId: string, file: string, fileId: string, previous: Cursor | undefined): Cursor {
    const next: Cursor = { fileId, offset: 0, epoch: previous ? previous.epoch + 1 : 0, skipping: false };
    this.stmts.saveCursor.run(runId, file, next.fileId, 0, next.epoch, 0);
    return next;
  }
}
