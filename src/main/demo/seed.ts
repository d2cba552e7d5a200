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

export function seedDemo(db: Database.Database, projects: ProjectStore, hosts: HostService, options: SeedOptions) {
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
    "INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, exit_code, created_at, ended_at) VALUES (?, ?, ?, 'demo-lora-stdlib', ?, 'SUCCEEDED', ?, 0, ?, ?)",
  );
  const runIds: string[] = [];
  const spikes: { runId: string; step: number; value: number }[] = [];
  for (let r = 0; r < options.runs; r++) {
    const lr = [1e-4, 2e-4, 3e-4, 5e-4][r % 4]!;
    const seed = Math.floor(r / 12) % 3; // runs r, r+12 and r+24 differ only in their seed
    const rank = [4, 8, 16][r % 3]!;
    const id = newUlid();
    const started = Date.now() - (options.runs - r) * 3_600_000;
    insertRun.run(id, project.id, local.id, JSON.stringify({ steps: options.points, lr, rank, seed, synthetic: true }), `synthetic:${id}`, started, started + 3_000_000);
    runIds.push(id);
    const spikeStep = 1 + Math.floor(rand() * options.points);
    const floor = 0.8 + 2e-4 / lr / 10 + rand() * 0.05;
    const lines: string[] = [];
    let tokens = 0;
    for (let step = 1; step <= options.points; step++) {
      tokens += 4096;
      let loss = floor + 2.2 * Math.exp(-step / (options.points / 6)) + (rand() - 0.5) * 0.08;
      if (step === spikeStep) {
        loss += 25; // one loss spike: it must stay visible at any zoom
        spikes.push({ runId: id, step, value: loss });
      }
      const m: Record<string, number> = { loss, learning_rate: lr * (1 - step / options.points), tokens, grad_norm: 0.3 + rand() * 0.2 };
      lines.push(JSON.stringify({ seq: step, ts: started / 1000 + step * 0.5, step, kind: 'train', m }));
      if (step % Math.max(1, Math.floor(options.points / 20)) === 0) {
        lines.push(JSON.stringify({ seq: options.points + step, ts: started / 1000 + step * 0.5, step, kind: 'eval', m: { eval_loss: floor + 0.05 + 2.2 * Math.exp(-step / (options.points / 6)) } }));
      }
    }
    // eval lines carry seqs after the train ones in their own series; sort by seq within each series is preserved.
    const buf = Buffer.from(lines.join('\n') + '\n');
    let cursor = ingestor.startEpoch(id, 'metrics.jsonl', `synthetic:${id}`, undefined);
    while (cursor.offset < buf.length) {
      const chunk = buf.subarray(cursor.offset, cursor.offset + 4 * 1024 * 1024);
      cursor = ingestor.store(id, 'metrics.jsonl', 'metrics', cursor, chunk, chunk.length === 4 * 1024 * 1024).next;
    }
  }
  return { projectId: project.id, runIds, spikes };
}
