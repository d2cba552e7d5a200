// `tunebench demo seed`: a synthetic project of finished runs for newcomers, tests and benchmarks.
// Points go through the real ingest path (JSONL lines, cursors, pyramid), so what you see is what runs produce.
import { EngineError } from '../errors';
import type Database from 'better-sqlite3';
import { newUlid } from '../../shared/ids';
import type { HostService } from '../hosts/host-service';
import type { ProjectStore } from '../projects/project-store';
import { Ingestor } from '../runs/ingest';

export interface SeedOptions {
  project?: string;
  runs: number;
  points: number;
  seed?: number;
}

function rng(seed: number) {
  let s = (seed >>> 0) * 2654435761 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 16; i++) next(); // the first outputs of a small seed are small too
  return next;
}

/**
 * The most a seed may make. Points are streamed in chunks, so memory no longer bounds a run (the
 * lines of a 10M-point run as one string passed V8's 512 MiB limit and crashed); time and disk do:
 * a point is 4-5 rows, ~190 bytes on disk with indexes and pyramid, and 1M points took 12 s here
 * (a run's transaction also grows the WAL by about its size). 2M points in a run is twice the most
 * the tests use (1M, in the spike test); 20M points in all is ~4 GB and about four minutes.
 */
export const MAX_SEED_POINTS = 2_000_000;
export const MAX_SEED_TOTAL_POINTS = 20_000_000;
export const MAX_SEED_RUNS = 10_000;
/** Lines are handed to ingest about this many bytes at a time, as a sync reads a remote file. */
const CHUNK_BYTES = 4 * 1024 * 1024;

function checkSize(options: SeedOptions): void {
  const { runs, points } = options;
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > MAX_SEED_RUNS) {
    throw new EngineError('VALIDATION_FAILED', `Give from 1 to ${MAX_SEED_RUNS.toLocaleString('en-US')} runs (--runs), not ${String(runs)}.`);
  }
  if (!Number.isSafeInteger(points) || points < 1 || points > MAX_SEED_POINTS) {
    throw new EngineError('VALIDATION_FAILED', `Give from 1 to ${MAX_SEED_POINTS.toLocaleString('en-US')} points per run (--points), not ${String(points)}.`);
  }
  if (runs * points > MAX_SEED_TOTAL_POINTS) {
    throw new EngineError(
      'VALIDATION_FAILED',
      `${runs.toLocaleString('en-US')} runs of ${points.toLocaleString('en-US')} points is more than the ${MAX_SEED_TOTAL_POINTS.toLocaleString('en-US')} points a seed makes at most. Give fewer runs or points.`,
    );
  }
}

export function seedDemo(db: Database.Database, projects: ProjectStore, hosts: HostService, options: SeedOptions) {
  checkSize(options);
  const rand = rng(options.seed ?? 7);
  const name = options.project ?? 'demo';
  let project;
  try {
    project = projects.get(name);
  } catch (err) {
    if (!(err instanceof EngineError && err.code === 'PROJECT_NOT_FOUND')) throw err; // a busy or full database is not "no project"
    project = projects.create({ name, description: 'Synthetic runs made by `tunebench demo seed`.', baseModel: 'demo/char-lm-tiny' });
  }
  const local = hosts.list().find((h) => h.kind === 'local')!;
  const ingestor = new Ingestor(db);
  const insertRun = db.prepare(
    "INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, exit_code, created_at, ended_at) VALUES (?, ?, ?, 'demo-lora-stdlib', ?, 'RUNNING', ?, NULL, ?, NULL)",
  );
  const finishRun = db.prepare("UPDATE runs SET status = 'SUCCEEDED', exit_code = 0, ended_at = ? WHERE id = ?");
  const runIds: string[] = [];
  const spikes: { runId: string; step: number; value: number }[] = [];
  // One transaction per run: the run, all its points, and SUCCEEDED last. A seed stopped midway
  // (Ctrl-C, a full disk) leaves whole runs only, never a finished run with some or none of its points.
  const seedRun = db.transaction((r: number) => {
    const lr = [1e-4, 2e-4, 3e-4, 5e-4][r % 4]!;
    const seed = Math.floor(r / 12) % 3; // runs r, r+12 and r+24 differ only in their seed
    const rank = [4, 8, 16][r % 3]!;
    const id = newUlid();
    const started = Date.now() - (options.runs - r) * 3_600_000;
    insertRun.run(id, project.id, local.id, JSON.stringify({ steps: options.points, lr, rank, seed, synthetic: true }), `synthetic:${id}`, started);
    const spikeStep = 1 + Math.floor(rand() * options.points);
    const floor = 0.8 + 2e-4 / lr / 10 + rand() * 0.05;
    let cursor = ingestor.startEpoch(id, 'metrics.jsonl', `synthetic:${id}`, undefined);
    // Lines go to ingest a chunk at a time: the whole run as one string does not fit in a V8 string.
    let lines: string[] = [];
    let bytes = 0;
    const flush = () => {
      if (lines.length === 0) return;
      const chunk = Buffer.from(lines.join('\n') + '\n');
      lines = [];
      bytes = 0;
      cursor = ingestor.store(id, 'metrics.jsonl', 'metrics', cursor, chunk, false).next;
    };
    const push = (line: string) => {
      lines.push(line);
      bytes += line.length + 1; // the lines are ASCII
      if (bytes >= CHUNK_BYTES) flush();
    };
    let tokens = 0;
    for (let step = 1; step <= options.points; step++) {
      tokens += 4096;
      let loss = floor + 2.2 * Math.exp(-step / (options.points / 6)) + (rand() - 0.5) * 0.08;
      if (step === spikeStep) {
        loss += 25; // one loss spike: it must stay visible at any zoom
        spikes.push({ runId: id, step, value: loss });
      }
      const m: Record<string, number> = { loss, learning_rate: lr * (1 - step / options.points), tokens, grad_norm: 0.3 + rand() * 0.2 };
      push(JSON.stringify({ seq: step, ts: started / 1000 + step * 0.5, step, kind: 'train', m }));
      if (step % Math.max(1, Math.floor(options.points / 20)) === 0) {
        // eval lines carry seqs after the train ones, in their own series: seqs still rise within each series.
        push(JSON.stringify({ seq: options.points + step, ts: started / 1000 + step * 0.5, step, kind: 'eval', m: { eval_loss: floor + 0.05 + 2.2 * Math.exp(-step / (options.points / 6)) } }));
      }
    }
    flush();
    finishRun.run(started + 3_000_000, id);
    return id;
  });
  for (let r = 0; r < options.runs; r++) runIds.push(seedRun.immediate(r));
  return { projectId: project.id, runIds, spikes };
}
