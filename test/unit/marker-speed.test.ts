// Log markers on hostile lines: every pattern is linear and reads only what ingest stores of a line,
// so a log line of megabytes (a progress bar without newlines, a dumped tensor) never holds the engine.
import { beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { Ingestor } from '../../src/main/runs/ingest';
import { LOG_PATTERNS, logMarker } from '../../src/main/runs/markers';
import { tempDir } from '../support/tunebench';

const KB64 = 64 * 1024;
const MB4 = 4 * 1024 * 1024;

/** Lines that make backtracking patterns work hardest: each pattern's own beginnings, repeated. */
const PIECES = [
  'a',
  ' ',
  '1',
  'Error',
  'NCCL ',
  'NCCL WARN ',
  'nccl WARN timeou',
  'NCCL communicator was ',
  'ncclInternal',
  'Watchdog caught collective operation ',
  'CUDA out of ',
  'torch.',
  'torch.cuda.',
  'CUBLAS_STATUS_',
  'Traceback (most recent call ',
  'Resuming ',
  'Resuming training from ',
  'Restarting ',
  '[tunebench] run ',
];
const lineOf = (piece: string, length: number) => piece.repeat(Math.ceil(length / piece.length)).slice(0, length);

/** The slowest of a few tries, in ms: one try can be slowed by the other tests sharing the CPU, the best one cannot. */
function bestMs(fn: () => void, tries = 3): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('log marker patterns', () => {
  it('each take linear time on a stored-size line built to defeat them (the NCCL one took 0.35 s)', () => {
    const slow: string[] = [];
    for (const piece of PIECES) {
      const line = lineOf(piece, KB64);
      for (const [kind, re, then] of LOG_PATTERNS) {
        const ms = bestMs(() => {
          re.test(line);
          then?.test(line);
        });
        if (ms > 10) slow.push(`${kind} ${re.source} on "${piece}"…: ${ms.toFixed(1)} ms`);
      }
    }
    expect(slow).toEqual([]);
  });

  it('read a line of 4 MB in a few milliseconds, whatever it repeats', () => {
    const slow: string[] = [];
    for (const piece of PIECES) {
      const small = lineOf(piece, KB64);
      const big = lineOf(piece, MB4);
      const ms = bestMs(() => logMarker(big, 1));
      if (ms > 10) slow.push(`"${piece}"…: ${ms.toFixed(1)} ms`);
      // Same verdict as on what ingest keeps of it.
      expect(logMarker(big, 1)?.kind ?? null).toBe(logMarker(small, 1)?.kind ?? null);
    }
    expect(slow).toEqual([]);
  });

  it('still find what they are for', () => {
    const kinds = [
      'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
      'torch.cuda.OutOfMemoryError: oops',
      'Traceback (most recent call last):',
      'gpu3:1:1 [3] NCCL WARN Call to ibv_modify_qp failed with error No such device',
      'NCCL WARN [Service thread] Error encountered progressing operation=Connect, res=3, closing connection; timeout',
      'RuntimeError: NCCL error in: ProcessGroupNCCL.cpp:1191, unhandled system error',
      'ncclSystemError: System call (e.g. socket, malloc) or external library call failed',
      '[Rank 0] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1)',
      'Resuming training from checkpoint checkpoints/step-400',
      '[tunebench] run restarted (attempt 2)',
      'NCCL WARN no error here',
      'step 10 loss 2.0',
    ].map((l) => logMarker(l, 1)?.kind ?? null);
    expect(kinds).toEqual(['cuda_oom', 'cuda_oom', 'traceback', 'nccl_error', 'nccl_error', 'nccl_error', 'nccl_error', 'nccl_error', 'restart', 'restart', null, null]);
    // "NCCL WARN ... timeout" with megabytes between the two: found within what is stored, not beyond.
    expect(logMarker(`NCCL WARN ${'x'.repeat(1000)} timeout`, 1)?.kind).toBe('nccl_error');
    expect(logMarker(`NCCL WARN ${'x'.repeat(MB4)} timeout`, 1)).toBeNull();
  });
});

describe('ingest of a 4 MB log line', () => {
  let engine: Engine;
  let ingestor: Ingestor;
  const runId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  beforeEach(async () => {
    engine = openEngine({ dataDir: tempDir() });
    ingestor = new Ingestor(engine.db);
    const project = await engine.call('projects.create', { name: 'p' });
    const host = (await engine.call('hosts.list', {}))[0]!;
    engine.db
      .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', '{}', 'RUNNING', '/x', 0)")
      .run(runId, project.id, host.id);
    return () => engine.close();
  });

  it.each(['NCCL WARN ', 'Resuming ', 'é', ' '])('takes well under 50 ms for a line of "%s" repeated, and stores it cut', (piece) => {
    const file = 'logs/output.log';
    let cursor = ingestor.startEpoch(runId, file, 'dev:1', undefined);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const chunk = Buffer.from(lineOf(piece, MB4 / Buffer.byteLength(piece)) + '\n');
      const t = performance.now();
      const r = ingestor.store(runId, file, 'log', cursor, chunk, false);
      times.push(performance.now() - t);
      cursor = r.next;
      expect(r.added).toBe(1);
    }
    expect(Math.min(...times)).toBeLessThan(50);
    const stored = engine.db.prepare('SELECT text FROM log_lines WHERE run_id = ? ORDER BY n').all(runId) as { text: string }[];
    expect(stored).toHaveLength(3);
    expect(stored[0]!.text.slice(0, KB64)).toBe(lineOf(piece, KB64));
    expect(stored[0]!.text).toMatch(/line cut at 65536 characters\]$/);
  });
});
