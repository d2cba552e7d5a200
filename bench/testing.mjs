// The testing pipeline's figures: the runner on a 1,000-case suite beside a bare Python loop making the
// same model calls (target <= 1.3x), and gates + HTML report for 10,000 cases x 2 models (target <= 1 s,
// HTML <= 10 MB) beside one JSON round trip of the same records.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { makeDemoSuite } from '../test/fixtures/testing/make-suite.mjs';
import { median, ms, ratio, ROOT, runSync, tempDir } from './util.mjs';

const require = createRequire(import.meta.url);
const { compareModels } = require(path.join(ROOT, 'dist/node/main/testing/gates.js'));
const { reportHtml, loadReportRenderer } = require(path.join(ROOT, 'dist/node/main/testing/report-html.js'));
const { DEFAULT_POLICY } = require(path.join(ROOT, 'dist/node/shared/domain/testing.js'));

const PYTHON = '/usr/bin/python3';
const ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

function trainDemoModel() {
  const dir = tempDir('tb-bench-model-');
  const params = { pretrain_steps: 100, steps: 30, d_model: 64, layers: 2, heads: 4, seq_len: 64, seed: 0 };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ recipe: 'demo-lora-torch', params }));
  const args = [path.join(ROOT, 'resources/recipes/demo_lora_torch.py'), '--dataset', path.join(ROOT, 'resources/recipes/data/instruct-demo.jsonl'), '--output-dir', 'outputs'];
  for (const [k, v] of Object.entries(params)) args.push(`--${k.replace(/_/g, '-')}`, String(v));
  runSync('training the bench model', PYTHON, args, { cwd: dir, env: ENV, encoding: 'utf8' }, 600_000);
  return dir;
}

function wallSeconds(args, cwd) {
  const t0 = performance.now();
  runSync(path.basename(args[0]), PYTHON, args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, 600_000);
  return (performance.now() - t0) / 1000;
}

async function runnerFigure() {
  const n = Number(process.env.TB_BENCH_CASES ?? 1000);
  process.stderr.write(`  training a demo model, then ${n} cases x 2 models through the runner and a bare loop…\n`);
  const modelDir = trainDemoModel();
  const spec = {
    runner: 1,
    seed: 0,
    batchSize: 8,
    caseTimeoutSeconds: 120,
    models: [
      { role: 'candidate', loader: 'demo-torch', dir: modelDir, checkpoint: null, weights: 'merged', model: null },
      { role: 'baseline', loader: 'demo-torch', dir: modelDir, checkpoint: null, weights: 'base', model: null },
    ],
    cases: makeDemoSuite(n).cases,
    judge: null,
    harness: null,
  };
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const work = tempDir('tb-bench-eval-');
    fs.writeFileSync(path.join(work, 'test.json'), JSON.stringify(spec));
    const bare = wallSeconds([path.join(ROOT, 'bench/bare_eval_loop.py'), path.join(work, 'test.json')], work);
    const ours = wallSeconds([path.join(ROOT, 'resources/testing/evaluate.py'), 'test.json'], work);
    const lines = fs
      .readFileSync(path.join(work, 'cases.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type": "case"') || l.includes('"type":"case"')).length;
    if (lines !== 2 * n) throw new Error(`the runner recorded ${lines} cases, not ${2 * n}`);
    runs.push({ ours, bare });
  }
  const ours = median(runs.map((r) => r.ours));
  const bare = median(runs.map((r) => r.bare));
  return {
    name: `test runner: ${n} cases x 2 demo models (wall)`,
    ours: `${ours.toFixed(2)} s`,
    baseline: `${bare.toFixed(2)} s`,
    baselineName: 'bare Python loop, same calls',
    ratio: ratio(ours, bare),
  };
}

/** A synthetic suite and records of 10,000 cases: mixed kinds, tags, a few critical regressions. */
function syntheticRecords(n) {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = ['contains', 'exact', 'regex', 'choice', 'perplexity', 'json'];
  const cases = [];
  const candidate = new Map();
  const baseline = new Map();
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length];
    const id = `case-${String(i).padStart(5, '0')}`;
    cases.push({
      id,
      kind,
      input: `### Instruction:\nQuestion number ${i}?\n### Response:\n`,
      expect: ['answer'],
      match: 'any',
      ignoreCase: false,
      flags: '',
      schema: null,
      options: [],
      maxPerplexity: null,
      perf: { repeats: 1, minTokensPerSecond: null, maxLatencyMs: null },
      tags: [`t${i % 7}`, kind],
      critical: i % 500 === 0,
      weight: 1,
      maxNewTokens: 32,
      stop: [],
      line: i + 1,
    });
    for (const [map, model, p] of [
      [candidate, 'candidate', 0.7],
      [baseline, 'baseline', 0.72],
    ]) {
      const ppl = kind === 'perplexity';
      const pass = ppl ? null : rand() < p;
      const score = ppl ? 0.2 + 0.1 * rand() : pass ? 1 : 0;
      map.set(id, {
        model,
        caseId: id,
        output: `The answer to question ${i} is ${pass ? 'answer' : 'something else'}, said the model.`,
        pass,
        score,
        detail: pass ? 'contains "answer"' : 'missing "answer"',
        error: null,
        tokens: 18,
        ms: 12.5,
        measures: ppl ? { nll: 40, tokens: 30, perplexity: 3.8 } : {},
      });
    }
  }
  return { cases, candidate, baseline };
}

async function reportFigure() {
  const n = 10_000;
  const input = syntheticRecords(n);
  const renderer = loadReportRenderer();
  let htmlBytes = 0;
  const ours = [];
  const floor = [];
  for (let i = 0; i < 5; i++) {
    let t0 = performance.now();
    const comparison = compareModels({ ...input, policy: DEFAULT_POLICY, waivers: [] });
    const report = {
      format: 'tunebench.test-report',
      version: 1,
      testRun: { id: 'bench', project: { id: 'p', name: 'bench', baseModel: 'demo' }, status: 'SUCCEEDED', createdAt: 0, endedAt: 1, host: 'local', progress: { done: 2 * n, total: 2 * n } },
      suite: { name: 'bench', version: '1', digest: 'sha256:0', cases: n },
      policy: DEFAULT_POLICY,
      waivers: [],
      comparison,
      models: [],
      provenance: { runnerVersion: 'tunebench-eval/1', seed: 0, decoding: 'greedy', environment: {}, lineage: {} },
    };
    const html = reportHtml(report, renderer);
    ours.push(performance.now() - t0);
    htmlBytes = Buffer.byteLength(html);
    t0 = performance.now();
    JSON.parse(JSON.stringify({ cases: input.cases, candidate: [...input.candidate.values()], baseline: [...input.baseline.values()] }));
    floor.push(performance.now() - t0);
  }
  return {
    name: `gates + HTML report: 10,000 cases x 2 models (${(htmlBytes / 1024 / 1024).toFixed(1)} MB)`,
    ours: ms(median(ours)),
    baseline: ms(median(floor)),
    baselineName: 'JSON round trip of the records',
    ratio: ratio(median(ours), median(floor)),
  };
}

export const figures = [
  { name: 'testing: gates and report', run: reportFigure },
  { name: 'testing: runner', run: runnerFigure },
];
