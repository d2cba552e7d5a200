// The test runner (resources/testing/evaluate.py) on real demo models trained here with Debian's torch:
// its line format and file digests, one record per (model, case) across kills and restarts, errors that stay
// in their case, a measurable difference between a trained and a barely trained model, and the
// lm-evaluation-harness step against a fake lm_eval (the real one, transformers and peft are not installed here).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteCase } from '../../src/shared/domain/testing';
import { makeDemoSuite, prompt } from '../fixtures/testing/make-suite.mjs';
import { ROOT, tempDir } from '../support/tunebench';

const PY = '/usr/bin/python3';
const EVALUATE = path.join(ROOT, 'resources', 'testing', 'evaluate.py');
const RECIPE = path.join(ROOT, 'resources', 'recipes', 'demo_lora_torch.py');
const DATASET = path.join(ROOT, 'resources', 'recipes', 'data', 'instruct-demo.jsonl');
const FAKE_LM_EVAL = path.join(ROOT, 'test', 'fixtures', 'fake-lm-eval');
const { PYTHONPATH: _ignored, ...HOST_ENV } = process.env;
const ENV: NodeJS.ProcessEnv = { ...HOST_ENV, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
const RUN_PARAMS = { d_model: 64, layers: 2, heads: 4, seq_len: 64 };

/** Instruct text in the training template that the dataset does not hold. */
const HELD_OUT = [
  ['What is a learning rate?', 'The learning rate sets how far each step moves the weights.'],
  ['Name a primary color.', 'Blue is a primary color.'],
  ['What does a GPU do?', 'A GPU runs many small computations in parallel.'],
  ['Why shuffle the training data?', 'Shuffling stops the model from learning the order of the examples.'],
].map(([q, a]) => `${prompt(q!)}${a}\n`);

type Line = Record<string, any> & { seq: number; type: string };

/** choice-0000, a quick case. */
const FIRST = makeDemoSuite(2).cases[0]!;

function caseOf(id: string, kind: string, input: string, extra: Partial<SuiteCase> = {}): SuiteCase {
  return { ...makeDemoSuite(1).cases[0]!, id, kind: kind as SuiteCase['kind'], input, expect: [], tags: [], critical: false, ...extra };
}

/** The suite of most tests: 24 demo cases, held-out perplexity, two judged cases and a kind nobody knows. */
function mainCases(): SuiteCase[] {
  return [
    ...makeDemoSuite(24).cases,
    ...HELD_OUT.map((text, i) => caseOf(`heldout-${i}`, 'perplexity', text, { tags: ['heldout'] })),
    caseOf('judge-ok', 'judge', prompt('Give a short greeting.'), { maxNewTokens: 12 }),
    caseOf('judge-fail', 'judge', prompt('Say thank you politely.'), { maxNewTokens: 12 }),
    caseOf('mind-reading', 'telepathy' as never, 'x'),
  ];
}

// Exits 3 for a case whose id says so: a judge that breaks must cost that case only.
const JUDGE = [
  PY,
  '-c',
  ['import json, sys', 'q = json.load(sys.stdin)', 'if "fail" in q["case"]: sys.stderr.write("judge refused"); sys.exit(3)', 'print(json.dumps({"score": 0.75, "pass": True}))'].join('\n'),
];

interface ModelSpec {
  role: string;
  loader: string;
  dir: string;
  checkpoint: string | null;
  weights: string | null;
}

function writeSpec(dir: string, models: ModelSpec[], cases: SuiteCase[], more: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ runner: 1, seed: 0, batchSize: 8, caseTimeoutSeconds: 120, models, cases, judge: { command: JUDGE, enabled: true, timeoutSeconds: 30 }, harness: null, ...more }),
  );
  return file;
}

function evaluate(dir: string, spec: string, env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(PY, [EVALUATE, spec], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r;
}

/** The records; `whole` (the default): the file must end with a whole line, as the runner leaves it. */
function lines(dir: string, whole = true): Line[] {
  let text = fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8');
  if (whole) expect(text.endsWith('\n')).toBe(true);
  else text = text.slice(0, text.lastIndexOf('\n') + 1); // a SIGKILL may land mid-line
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every (model, case) exactly once, seq strictly increasing, one model and one done line per model. */
function expectComplete(all: Line[], roles: string[], caseIds: string[], more: Record<string, string[]> = {}) {
  for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
  const seen = new Map<string, number>();
  for (const l of all.filter((x) => x.type === 'case')) seen.set(`${l.model}/${l.case}`, (seen.get(`${l.model}/${l.case}`) ?? 0) + 1);
  const want = roles.flatMap((r) => [...caseIds, ...(more[r] ?? [])].map((c) => `${r}/${c}`));
  expect([...seen.keys()].sort()).toEqual([...want].sort());
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  for (const role of roles) {
    expect(all.filter((l) => l.type === 'model' && l.model === role)).toHaveLength(1);
    expect(all.filter((l) => l.type === 'done' && l.model === role)).toHaveLength(1);
  }
}

function record(all: Line[], model: string, id: string): Line {
  const r = all.find((l) => l.type === 'case' && l.model === model && l.case === id);
  expect(r, `${model}/${id}`).toBeDefined();
  return r!;
}

/** Starts the runner, waits until it has recorded `after` cases, sends `signal`, and reports how it ended. */
async function interrupt(dir: string, spec: string, after: number, signal: NodeJS.Signals) {
  const child = spawn(PY, [EVALUATE, spec], { cwd: dir, env: ENV, stdio: 'ignore' });
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  const file = path.join(dir, 'cases.jsonl');
  for (let i = 0; i < 6000; i++) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if ((text.match(/"type":"case"/g) ?? []).length >= after) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill(signal);
  return ended;
}

function train(dir: string, steps: number, extra: string[] = []): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ recipe: 'demo-lora-torch', params: RUN_PARAMS }));
  const args = [RECIPE, '--dataset', DATASET, '--output-dir', 'outputs', '--steps', String(steps), ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn(PY, args, { cwd: dir, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`training exited ${code}: ${err}`))));
  });
}

describe('test runner (evaluate.py) on demo models', () => {
  const root = tempDir('tb-eval-');
  const strong = path.join(root, 'strong');
  const weak = path.join(root, 'weak');
  const pair: ModelSpec[] = [
    { role: 'candidate', loader: 'demo-torch', dir: strong, checkpoint: null, weights: 'merged' },
    { role: 'baseline', loader: 'demo-torch', dir: weak, checkpoint: null, weights: 'merged' },
  ];
  const cases = mainCases();
  const ids = cases.map((c) => c.id);
  let reference: Line[] = [];

  beforeAll(async () => {
    const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    expect(hasTorch, "needs Debian's python3-torch: apt-get install -y python3-torch").toBe(true);
    // In parallel, one core each: 150 LoRA steps (and a checkpoint at the last), and 2.
    await Promise.all([train(strong, 150, ['--save-every', '150']), train(weak, 2)]);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('records env, model files with their sha256, and every case of both models once', { timeout: 60_000 }, () => {
    const dir = path.join(root, 'full');
    fs.mkdirSync(dir);
    evaluate(dir, writeSpec(dir, pair, cases));
    const all = (reference = lines(dir));

    expect(all.filter((l) => l.type === 'env')).toHaveLength(1);
    expect(all[0]).toMatchObject({ seq: 1, type: 'env', runner: 'tunebench-eval/1', device: 'cpu', gpu: null, transformers: null });
    expect(all[0]!.torch).toMatch(/^\d+\.\d+/);
    expectComplete(all, ['candidate', 'baseline'], ids);
    // Order: the candidate's model line, its cases, done; then the baseline's.
    expect(
      all
        .map((l) => `${l.type}:${l.model ?? ''}`)
        .filter((x) => !x.startsWith('case'))
        .join(' '),
    ).toBe('env: model:candidate done:candidate model:baseline done:baseline');

    for (const [role, dir_] of [
      ['candidate', strong],
      ['baseline', weak],
    ] as const) {
      const m = all.find((l) => l.type === 'model' && l.model === role)!;
      expect(m).toMatchObject({ loader: 'demo-torch', path: path.join(dir_, 'outputs', 'merged.safetensors') });
      expect(m.files.map((f: any) => f.path)).toEqual(['outputs/merged.safetensors', 'run.json']);
      for (const f of m.files) {
        expect(f.sha256).toBe(sha256(path.join(dir_, f.path)));
        expect(f.size).toBe(fs.statSync(path.join(dir_, f.path)).size);
      }
      const text = m.files.map((f: any) => `${f.sha256}  ${f.path}\n`).join('');
      expect(m.rootDigest).toBe(crypto.createHash('sha256').update(text).digest('hex'));
    }

    for (const role of ['candidate', 'baseline']) {
      for (const c of cases.filter((x) => x.kind === 'choice')) {
        const r = record(all, role, c.id);
        const lps = c.options.map((_, i) => r.measures[`logprob_${i}`] as number);
        expect(lps.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
        expect(r.measures.chosen).toBe(lps.indexOf(Math.max(...lps)));
        expect(r.output).toBe(c.options[r.measures.chosen]);
        expect(r.error).toBeNull();
      }
      for (const c of cases.filter((x) => x.kind === 'perplexity')) {
        const { nll, tokens, perplexity, unknown_chars } = record(all, role, c.id).measures;
        expect(tokens).toBe(c.input.length - unknown_chars - 1);
        expect(Number.isFinite(nll) && nll > 0).toBe(true);
        expect(perplexity).toBeCloseTo(Math.exp(nll / tokens), 6);
      }
      const gen = record(all, role, 'regex-0002');
      expect(gen.tokens).toBeGreaterThan(0);
      expect(gen.tokens).toBeLessThanOrEqual(32);
      expect(gen.output).not.toContain('\n'); // cut at the stop string
      const perf = record(all, role, 'perf-0023').measures;
      expect(perf.repeats).toBe(3);
      for (const k of ['tokens_per_second', 'latency_p50_ms', 'latency_p95_ms', 'peak_memory_mb']) expect(perf[k], k).toBeGreaterThan(0);
      expect(perf.latency_p95_ms).toBeGreaterThanOrEqual(perf.latency_p50_ms);

      // A broken judge and an unknown kind cost their own case, nothing else.
      expect(record(all, role, 'judge-ok')).toMatchObject({ error: null, measures: { judge_score: 0.75, judge_pass: 1 } });
      expect(record(all, role, 'judge-fail').error).toMatch(/judge exited with status 3: judge refused/);
      expect(record(all, role, 'mind-reading').error).toMatch(/^ValueError: unknown case kind 'telepathy'/);
    }

    // Fine-tuning shows: lower perplexity on instruct text neither model saw, by a clear margin.
    const mean = (role: string) => HELD_OUT.reduce((s, _, i) => s + record(all, role, `heldout-${i}`).measures.perplexity, 0) / HELD_OUT.length;
    expect(mean('candidate')).toBeLessThan(mean('baseline') * 0.8);
  });

  it('resumes after a kill cut a line in half: nothing missing, nothing twice, same answers', { timeout: 60_000 }, () => {
    const dir = path.join(root, 'cut');
    fs.mkdirSync(dir);
    const full = fs.readFileSync(path.join(root, 'full', 'cases.jsonl'), 'utf8');
    const starts = [...full.matchAll(/\n/g)].map((m) => m.index! + 1);
    const cutLine = 20; // inside the candidate's cases
    const cut = starts[cutLine - 1]! + Math.floor((starts[cutLine]! - starts[cutLine - 1]!) / 2);
    fs.writeFileSync(path.join(dir, 'cases.jsonl'), full.slice(0, cut));
    evaluate(dir, writeSpec(dir, pair, cases));

    const all = lines(dir);
    expect(fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8').startsWith(full.slice(0, starts[cutLine - 1]!))).toBe(true);
    expect(all.filter((l) => l.type === 'env')).toHaveLength(2);
    expect(all[cutLine]).toMatchObject({ type: 'env', seq: cutLine + 1 });
    expectComplete(all, ['candidate', 'baseline'], ids);
    for (const r of all.filter((l) => l.type === 'case' && !l.case.startsWith('perf'))) {
      const before = record(reference, r.model, r.case);
      expect(r.output).toBe(before.output);
      expect(r.error).toBe(before.error);
      expect(r.measures).toEqual(before.measures);
    }
  });

  it('resumes after SIGKILL mid-run, and stops with 143 on SIGTERM leaving only whole lines', { timeout: 60_000 }, async () => {
    const dir = path.join(root, 'killed');
    fs.mkdirSync(dir);
    const spec = writeSpec(dir, pair, cases);
    const killed = await interrupt(dir, spec, 8, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const partial = lines(dir, false).filter((l) => l.type === 'case').length;
    expect(partial).toBeLessThan(2 * ids.length);

    const termed = await interrupt(dir, spec, partial + 10, 'SIGTERM');
    expect(termed.code).toBe(143);
    const afterTerm = lines(dir); // parses, and ends with a newline
    expect(afterTerm.filter((l) => l.type === 'case').length).toBeLessThan(2 * ids.length);

    evaluate(dir, spec);
    const all = lines(dir);
    expect(all.filter((l) => l.type === 'env')).toHaveLength(3);
    expectComplete(all, ['candidate', 'baseline'], ids);
  });

  it('loads a checkpoint as base + adapter (same answers as the merged model) and the base alone', { timeout: 60_000 }, () => {
    const dir = path.join(root, 'checkpoint');
    fs.mkdirSync(dir);
    evaluate(
      dir,
      writeSpec(
        dir,
        [
          { role: 'candidate', loader: 'demo-torch', dir: strong, checkpoint: 'checkpoints/step-150', weights: null },
          { role: 'baseline', loader: 'demo-torch', dir: strong, checkpoint: null, weights: 'base' },
        ],
        cases,
      ),
    );
    const all = lines(dir);
    expectComplete(all, ['candidate', 'baseline'], ids);
    const ckpt = all.find((l) => l.type === 'model' && l.model === 'candidate')!;
    expect(ckpt.files.map((f: any) => f.path)).toEqual(['checkpoints/step-150/adapter.safetensors', 'outputs/base.safetensors', 'run.json']);
    for (const f of ckpt.files) expect(f.sha256).toBe(sha256(path.join(strong, f.path)));
    const base = all.find((l) => l.type === 'model' && l.model === 'baseline')!;
    expect(base.files.map((f: any) => f.path)).toEqual(['outputs/base.safetensors', 'run.json']);

    for (const c of cases.filter((x) => !x.id.startsWith('perf'))) {
      const merged = record(reference, 'candidate', c.id);
      const mine = record(all, 'candidate', c.id);
      expect(mine.output, c.id).toBe(merged.output);
      for (const [k, v] of Object.entries(merged.measures)) expect(mine.measures[k], `${c.id} ${k}`).toBeCloseTo(v as number, 3);
    }
    const ppl = (lines_: Line[], role: string) => HELD_OUT.reduce((s, _, i) => s + record(lines_, role, `heldout-${i}`).measures.perplexity, 0);
    expect(ppl(all, 'candidate')).toBeLessThan(ppl(all, 'baseline'));
  });

  it('refuses to go on when the model files changed between two starts (exit 3, an error line)', { timeout: 60_000 }, () => {
    const copy = path.join(root, 'weak-copy');
    fs.cpSync(weak, copy, { recursive: true });
    const dir = path.join(root, 'changed');
    fs.mkdirSync(dir);
    const spec = writeSpec(dir, [{ ...pair[1]!, dir: copy }], [FIRST]);
    evaluate(dir, spec);
    const text = fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8');
    fs.writeFileSync(path.join(dir, 'cases.jsonl'), text.slice(0, text.indexOf('"type":"case"'))); // cut before the case
    fs.appendFileSync(path.join(copy, 'run.json'), '\n');
    const r = spawnSync(PY, [EVALUATE, spec], { cwd: dir, env: ENV, encoding: 'utf8' });
    expect(r.status).toBe(3);
    const all = lines(dir);
    expect(all.at(-1)).toMatchObject({ type: 'error', model: 'baseline', error: expect.stringMatching(/files changed since an earlier start/) });
    expect(all.filter((l) => l.type === 'case')).toHaveLength(0);
  });

  it('a case past caseTimeoutSeconds is recorded as "time limit" and the next case runs', { timeout: 60_000 }, () => {
    const dir = path.join(root, 'slow');
    fs.mkdirSync(dir);
    const slow = caseOf('slow', 'perf', prompt('What is QLoRA?'), { maxNewTokens: 64, stop: [], perf: { repeats: 200, minTokensPerSecond: null, maxLatencyMs: null } });
    const quick = FIRST;
    evaluate(dir, writeSpec(dir, [pair[0]!], [slow, quick], { caseTimeoutSeconds: 0.3 }));
    const all = lines(dir);
    expect(record(all, 'candidate', 'slow')).toMatchObject({ error: 'time limit', measures: {} });
    expect(record(all, 'candidate', 'slow').ms).toBeLessThan(3000);
    expect(record(all, 'candidate', quick.id).error).toBeNull();
  });

  it('harness: runs lm_eval per task for an hf model and turns its logged samples into cases (fake lm_eval)', { timeout: 60_000 }, () => {
    // An hf run directory as hf-sft leaves it: an adapter in outputs/ (and a Trainer checkpoint, not part of it).
    const run = path.join(root, 'hf-run');
    fs.mkdirSync(path.join(run, 'outputs', 'checkpoint-10'), { recursive: true });
    fs.writeFileSync(path.join(run, 'outputs', 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'org/tiny-base', peft_type: 'LORA' }));
    fs.writeFileSync(path.join(run, 'outputs', 'adapter_model.safetensors'), crypto.randomBytes(4096));
    fs.writeFileSync(path.join(run, 'outputs', 'checkpoint-10', 'optimizer.pt'), 'x');
    const dir = path.join(root, 'harness');
    fs.mkdirSync(dir);
    const log = path.join(root, 'lm_eval-argv.jsonl');
    const env = { ...ENV, PYTHONPATH: FAKE_LM_EVAL, FAKE_LM_EVAL_LOG: log };
    const spec = writeSpec(
      dir,
      [
        { role: 'candidate', loader: 'hf', dir: run, checkpoint: null, weights: null },
        { role: 'baseline', loader: 'demo-torch', dir: weak, checkpoint: null, weights: 'merged' },
      ],
      [FIRST],
      {
        harness: {
          tasks: [
            { task: 'arc_easy', fewShot: 0, limit: 3 },
            { task: 'gsm8k', fewShot: 5, limit: null },
            { task: 'no_such_task', fewShot: null, limit: null },
          ],
        },
      },
    );
    evaluate(dir, spec, env);
    const all = lines(dir);

    // No transformers here: the hf model does not load, its case says why; the harness step still runs.
    const hfModel = all.find((l) => l.type === 'model' && l.model === 'candidate')!;
    expect(hfModel.path).toBe(path.join(run, 'outputs'));
    expect(hfModel.files.map((f: any) => f.path)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(hfModel.files[1].sha256).toBe(sha256(path.join(run, 'outputs', 'adapter_model.safetensors')));
    expect(record(all, 'candidate', 'choice-0000').error).toMatch(/did not load: ModuleNotFoundError: No module named 'transformers'/);
    expect(record(all, 'baseline', 'choice-0000').error).toBeNull();

    const argv = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(argv[0]).toEqual([
      '--model',
      'hf',
      '--model_args',
      `pretrained=org/tiny-base,peft=${path.join(run, 'outputs')}`,
      '--tasks',
      'arc_easy',
      '--log_samples',
      '--output_path',
      'harness/candidate/arc_easy/',
      '--seed',
      '0',
      '--batch_size',
      '8',
      '--num_fewshot',
      '0',
      '--limit',
      '3',
    ]);
    expect(argv).toHaveLength(3);

    const arc = all.filter((l) => l.type === 'case' && l.case.startsWith('harness/arc_easy/'));
    expect(arc).toHaveLength(3);
    const sampleFile = fs.readdirSync(path.join(dir, 'harness', 'candidate', 'arc_easy', 'org__tiny-base')).find((f) => f.startsWith('samples_arc_easy_'))!;
    const samples = fs
      .readFileSync(path.join(dir, 'harness', 'candidate', 'arc_easy', 'org__tiny-base', sampleFile), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const [i, s] of samples.entries()) {
      expect(arc[i]).toMatchObject({
        model: 'candidate',
        case: `harness/arc_easy/${s.doc_hash}`,
        kind: 'harness',
        error: null,
        input: s.doc.question,
        target: String(s.target),
        output: JSON.stringify(s.filtered_resps[0]),
      });
      const lls = s.filtered_resps.map((r: string[]) => Number(r[0]));
      expect(arc[i]!.measures).toEqual({ acc: s.acc, acc_norm: s.acc_norm, chosen: lls.indexOf(Math.max(...lls)) });
    }
    const gsm = all.filter((l) => l.type === 'case' && l.case.startsWith('harness/gsm8k/'));
    expect(gsm.map((l) => [l.output, l.measures.exact_match])).toEqual([
      ['7', 1],
      ['0', 0],
      ['15', 1],
    ]);
    expect(all.find((l) => l.type === 'harness-task' && l.task === 'gsm8k')).toMatchObject({ model: 'candidate', samples: { gsm8k: 3 } });
    expect(all.find((l) => l.type === 'harness-error')).toMatchObject({ model: 'candidate', task: 'no_such_task', error: expect.stringMatching(/Tasks not found/) });
    expect(all.find((l) => l.type === 'harness-skipped')).toMatchObject({ model: 'baseline', reason: expect.stringMatching(/hf models/) });

    // Killed after the first arc_easy sample was recorded: the restart reads the samples file again instead
    // of running lm_eval again, and records only what is missing (the failed task is tried again).
    const text = fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8');
    const firstArc = text.indexOf('"case":"harness/arc_easy/');
    fs.writeFileSync(path.join(dir, 'cases.jsonl'), text.slice(0, text.indexOf('\n', firstArc) + 1));
    evaluate(dir, spec, env);
    const again = lines(dir);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(4);
    const harnessIds = [...arc, ...gsm].map((l) => l.case as string);
    expectComplete(again, ['candidate', 'baseline'], ['choice-0000'], { candidate: harnessIds });
    expect(again.filter((l) => l.type === 'harness-task')).toHaveLength(2);

    // Without lm_eval on the host: said once, and the cases go on.
    const bare = path.join(root, 'no-harness');
    fs.mkdirSync(bare);
    evaluate(bare, writeSpec(bare, pair, [FIRST], { harness: { tasks: [{ task: 'arc_easy', fewShot: 0, limit: 3 }] } }));
    const skipped = lines(bare).filter((l) => l.type === 'harness-skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ reason: 'lm_eval is not installed on this host' });
    expect(skipped[0]!.model).toBeUndefined();
    expectComplete(lines(bare), ['candidate', 'baseline'], ['choice-0000']);
  });
});
