// Review bundles at 10,000 cases: export (report, records, manifest, deterministic zip) beside the
// system `zip` on the same files (target <= 2 s), and import-verify (safe unzip, every file against the
// manifest, the report parsed) beside `unzip -t` (target <= 1 s).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { makeDemoSuite } from '../test/fixtures/testing/make-suite.mjs';
import { median, ms, ratio, ROOT, runSync, tempDir } from './util.mjs';

const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(ROOT, 'dist/node', p));
const { openEngine } = dist('main/app.js');
const { ProjectStore } = dist('main/projects/project-store.js');
const { SuiteStore } = dist('main/testing/suite-store.js');
const { TestStore } = dist('main/testing/test-store.js');
const { RunStore } = dist('main/runs/run-store.js');
const { refreshOutcome } = dist('main/testing/test-report.js');
const { DEFAULT_POLICY } = dist('shared/domain/testing.js');

const N = 10_000;

/** A finished 10,000-case test run, made through the real stores (records scored as at ingest). */
async function seedTestRun(dataDir) {
  const engine = openEngine({ dataDir });
  const project = await engine.call('projects.create', { name: 'bench' });
  const spec = makeDemoSuite(N);
  const { suite } = await engine.call('suites.add', { project: 'bench', fileName: 'bench.json', text: JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _l, ...c }) => c) }) });
  const host = (await engine.call('hosts.list', {}))[0];
  const db = engine.db;
  const projects = new ProjectStore(db);
  const suites = new SuiteStore(db, projects);
  const tests = new TestStore(db, suites);
  const runs = new RunStore(db);
  const now = Date.now();
  const insertRun = db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at, ended_at, kind) VALUES (?, ?, ?, ?, '{}', 'SUCCEEDED', '/tmp/x', ?, ?, ?)");
  insertRun.run('01JBENCHCANDIDATE000000000', project.id, host.id, 'demo-lora-torch', now, now, 'train');
  insertRun.run('01JBENCHTESTRUN00000000000', project.id, host.id, 'test', now, now, 'test');
  const model = (role) => ({ role, label: role, runId: '01JBENCHCANDIDATE000000000', checkpoint: null, loader: 'demo-torch', dir: '/tmp/x', weights: 'merged', model: null });
  tests.create({
    runId: '01JBENCHTESTRUN00000000000',
    suiteId: suite.id,
    candidate: { runId: '01JBENCHCANDIDATE000000000', checkpoint: null },
    baseline: { kind: 'base', runId: null, checkpoint: null },
    models: [model('candidate'), model('baseline')],
    policy: DEFAULT_POLICY,
  });
  let seq = 0;
  const lines = [];
  for (const role of ['candidate', 'baseline']) {
    lines.push({
      text: JSON.stringify({
        seq: ++seq,
        type: 'model',
        model: role,
        loader: 'demo-torch',
        path: 'outputs/merged.safetensors',
        files: [{ path: 'outputs/merged.safetensors', size: 451740, sha256: 'a'.repeat(64) }],
        rootDigest: 'b'.repeat(64),
      }),
    });
    for (const c of spec.cases) {
      const measures =
        c.kind === 'choice'
          ? { chosen: seq % 2, logprob_0: -10, logprob_1: -11 }
          : c.kind === 'perplexity'
            ? { nll: 80, tokens: 40 }
            : c.kind === 'perf'
              ? { tokens_per_second: 900, latency_p50_ms: 20, latency_p95_ms: 25 }
              : {};
      lines.push({
        text: JSON.stringify({
          seq: ++seq,
          type: 'case',
          model: role,
          case: c.id,
          kind: c.kind,
          output: `A model's answer to case ${c.id}, some forty characters long.`,
          tokens: 16,
          ms: 12.3,
          error: null,
          measures,
        }),
      });
    }
  }
  db.transaction(() => tests.storeLines('01JBENCHTESTRUN00000000000', lines))();
  refreshOutcome({ projects, runs, suites, tests }, '01JBENCHTESTRUN00000000000', true);
  return engine;
}

async function bundleFigures() {
  process.stderr.write(`  seeding a finished test run of ${N} cases x 2 models…\n`);
  const dataDir = tempDir('tb-bench-review-');
  const engine = await seedTestRun(dataDir);
  const out = tempDir('tb-bench-bundle-');
  const exportTimes = [];
  const zipTimes = [];
  const verifyTimes = [];
  const unzipTimes = [];
  let bytes = 0;
  const reviewer = openEngine({ dataDir: tempDir('tb-bench-reviewer-') });
  try {
    for (let i = 0; i < 5; i++) {
      const file = path.join(out, `bundle-${i}.zip`);
      let t0 = performance.now();
      const r = await engine.call('reviews.export', { testRun: '01JBENCHTESTRUN00000000000', out: file });
      exportTimes.push(performance.now() - t0);
      bytes = r.bytes;
      // The baseline: the system zip over the very same files, unpacked to a folder first.
      const dir = path.join(out, `files-${i}`);
      fs.mkdirSync(dir);
      runSync('unzip of the bundle', 'unzip', ['-q', file, '-d', dir], {}, 120_000);
      t0 = performance.now();
      runSync('zip of the bundle', 'zip', ['-q', '-r', '-6', path.join(out, `system-${i}.zip`), '.'], { cwd: dir }, 120_000);
      zipTimes.push(performance.now() - t0);
      t0 = performance.now();
      await reviewer.call('reviews.importFile', { file });
      verifyTimes.push(performance.now() - t0);
      t0 = performance.now();
      runSync('unzip -t of the bundle', 'unzip', ['-tq', file], {}, 120_000);
      unzipTimes.push(performance.now() - t0);
    }
  } finally {
    engine.close();
    reviewer.close();
  }
  const [e, z, v, u] = [exportTimes, zipTimes, verifyTimes, unzipTimes].map(median);
  return [
    { name: `review bundle export: ${N} cases x 2 (${(bytes / 1024 / 1024).toFixed(1)} MB zip)`, ours: ms(e), baseline: ms(z), baselineName: 'system zip -6, same files', ratio: ratio(e, z) },
    { name: `review bundle import + verify: ${N} cases x 2`, ours: ms(v), baseline: ms(u), baselineName: 'unzip -t (CRC check only)', ratio: ratio(v, u) },
  ];
}

export const figures = [{ name: 'review: bundle export and verify', run: bundleFigures }];
