// The tracker at scale: ingest with pyramid upkeep, and a window query on a 10,000,000-point series.
import path from 'node:path';
import { createRequire } from 'node:module';
import { median, ms, ratio, ROOT, tempDir } from './util.mjs';

const require = createRequire(import.meta.url);
const { openEngine } = require(path.join(ROOT, 'dist/node/main/app.js'));
const { Ingestor } = require(path.join(ROOT, 'dist/node/main/runs/ingest.js'));
const { PyramidBatch } = require(path.join(ROOT, 'dist/node/main/metrics/pyramid.js'));
const { WindowQueries } = require(path.join(ROOT, 'dist/node/main/metrics/window-query.js'));

function freshRun() {
  const engine = openEngine({ dataDir: tempDir() });
  const db = engine.db;
  db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'bench', 0, 0)").run();
  const host = db.prepare("SELECT id FROM hosts WHERE kind = 'local'").get();
  db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES ('R', '01ARZ3NDEKTSV4RRFFQ69G5FAV', ?, 'custom', '{}', 'RUNNING', '/x', 0)").run(
    host.id,
  );
  return engine;
}

const value = (i) => 2 + Math.sin(i / 1000) + (i % 7919 === 0 ? 50 : 0);

async function ingestFigure() {
  const n = 1_000_000;
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(JSON.stringify({ seq: i, ts: 1.7e9 + i, step: i, kind: 'train', m: { loss: value(i) } }));
  const buf = Buffer.from(lines.join('\n') + '\n');
  // The app holds no million strings while it ingests: let them go before timing.
  lines.length = 0;
  const engine = freshRun();
  const ingestor = new Ingestor(engine.db);
  let cursor = ingestor.startEpoch('R', 'metrics.jsonl', 'f', undefined);
  const t0 = performance.now();
  while (cursor.offset < buf.length) {
    const chunk = buf.subarray(cursor.offset, cursor.offset + 4 * 1024 * 1024);
    cursor = ingestor.store('R', 'metrics.jsonl', 'metrics', cursor, chunk, chunk.length === 4 * 1024 * 1024).next;
  }
  const ours = performance.now() - t0;
  engine.close();
  // Baseline: the same rows, already parsed, into a table of the same shape with a prepared statement.
  const base = freshRun();
  const db = base.db;
  db.exec('CREATE TABLE plain (series_id INTEGER NOT NULL, idx INTEGER NOT NULL, seq INTEGER NOT NULL, ts REAL NOT NULL, step REAL, value REAL, PRIMARY KEY (series_id, idx)) STRICT, WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO plain VALUES (1, ?, ?, ?, ?, ?)');
  const t1 = performance.now();
  for (let start = 0; start < n; start += 48_000) {
    db.transaction(() => {
      for (let i = start; i < Math.min(n, start + 48_000); i++) insert.run(i, i + 1, 1.7e9 + i + 1, i + 1, value(i + 1));
    })();
  }
  const baseline = performance.now() - t1;
  base.close();
  const rate = (t) => `${Math.round(n / (t / 1000)).toLocaleString('en-US')} pts/s`;
  return {
    name: 'ingest 1M metric lines: parse, store, pyramid upkeep',
    ours: rate(ours),
    baseline: rate(baseline),
    baselineName: 'plain prepared inserts of the parsed rows',
    ratio: ratio(ours, baseline),
  };
}

async function windowFigure() {
  const n = 10_000_000;
  const engine = freshRun();
  const db = engine.db;
  const sid = Number(db.prepare("INSERT INTO metric_series (run_id, stream, name, kind) VALUES ('R', 'metrics', 'loss', 'train')").run().lastInsertRowid);
  const insert = db.prepare('INSERT INTO metric_points (series_id, idx, seq, ts, step, value) VALUES (?, ?, ?, ?, ?, ?)');
  const pyramid = new PyramidBatch(db);
  process.stderr.write('  building a 10,000,000-point series (about a minute)…\n');
  for (let start = 0; start < n; start += 200_000) {
    db.transaction(() => {
      for (let i = start; i < start + 200_000; i++) {
        const v = value(i);
        insert.run(sid, i, i + 1, 1.7e9 + i, i, v);
        pyramid.add(sid, i, v, i, 1.7e9 + i);
      }
      pyramid.flush();
    })();
  }
  db.prepare('UPDATE metric_series SET points = ? WHERE id = ?').run(n, sid);
  const queries = new WindowQueries(db);
  const scan = db.prepare('SELECT min(value) AS min, max(value) AS max, count(*) AS n FROM metric_points WHERE series_id = ? AND idx BETWEEN ? AND ?');
  const windows = Array.from({ length: 15 }, (_, k) => {
    const from = Math.floor((k / 15) * n * 0.3);
    return [from, from + Math.floor(n * 0.6)];
  });
  const ours = median(
    windows.map(([from, to]) => {
      const t = performance.now();
      const r = queries.run({ seriesId: sid, x: 'step', from, to, maxBuckets: 2000 });
      if (r.kind !== 'buckets' || r.buckets.length > 2000) throw new Error('expected at most 2,000 buckets');
      return performance.now() - t;
    }),
  );
  const baseline = median(
    windows.slice(0, 3).map(([from, to]) => {
      const t = performance.now();
      scan.get(sid, from, to);
      return performance.now() - t;
    }),
  );
  engine.close();
  return {
    name: 'window query, 6M of a 10M-point series, <= 2,000 buckets',
    ours: ms(ours),
    baseline: ms(baseline),
    baselineName: 'one SQL min/max/count scan of the window',
    ratio: ratio(ours, baseline),
  };
}

async function tableFigure() {
  const engine = openEngine({ dataDir: tempDir() });
  process.stderr.write('  seeding 10,000 runs…\n');
  await engine.call('demo.seed', { runs: 10_000, points: 20 });
  const filter = 'status = succeeded and lr < 3e-4 and eval_loss.min < 2 and recipe ~ "lora"';
  const samples = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = await engine.call('runs.table', { project: 'demo', filter, sort: { key: 'eval_loss.min', dir: 'asc' }, limit: 100 });
    if (r.total !== 10_000) throw new Error('expected 10,000 runs');
    samples.push(performance.now() - t);
  }
  const ours = median(samples);
  const scan = engine.db.prepare('SELECT * FROM runs ORDER BY created_at DESC');
  const baseline = median(
    Array.from({ length: 7 }, () => {
      const t = performance.now();
      scan.all();
      return performance.now() - t;
    }),
  );
  engine.close();
  return {
    name: 'runs table, 10,000 runs: filter + sort by eval_loss.min',
    ours: ms(ours),
    baseline: ms(baseline),
    baselineName: 'SQL SELECT * FROM runs ORDER BY created_at',
    ratio: ratio(ours, baseline),
  };
}

export const figures = [
  { name: 'metrics ingest with pyramid', run: ingestFigure },
  { name: 'metrics window query', run: windowFigure },
  { name: 'runs table', run: tableFigure },
];
