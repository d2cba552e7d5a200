// The testing pipeline end to end over a real OpenSSH server: two demo-lora-torch candidates (one
// trained, one barely) tested against the model in production on a 60-case suite; verdicts, waivers,
// the report's digest, and a test run that survives cut links, an app restart, a cancel and a resume
// with no case missing or doubled.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Run } from '../../src/shared/domain/run';
import type { TestReport, TestRunSummary } from '../../src/shared/domain/testing';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, tempDir } from '../support/tunebench';
import { until as waitUntil, sleep } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 60_000) => waitUntil(what, check, timeoutMs, 50);

let sshd: TestSshd;
let dataDir: string;
let runRoot: string;
let strong: Run;
let weak: Run;
const CASES = 60;
const LONG = 800;
const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];

const open = (syncMs = 0): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: syncMs, checkOutputs: true });

async function waitForRun(e: Engine, id: string, timeoutMs = 120_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await e.call('runs.sync', { id });
    if (FINAL.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
    await sleep(250);
  }
}

async function waitForTest(e: Engine, id: string): Promise<{ test: TestRunSummary; report: TestReport }> {
  const run = await waitForRun(e, id);
  expect(run.status, run.lastError ?? '').toBe('SUCCEEDED');
  return { test: await e.call('tests.get', { id }), report: await e.call('tests.report', { id }) };
}

/** Every (model, case) line the runner wrote, as "model/case". */
function remoteCaseLines(remoteDir: string): string[] {
  return fs
    .readFileSync(path.join(remoteDir, 'cases.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((o) => o.type === 'case')
    .map((o) => `${o.model}/${o.case}`);
}

/** The demo suite as a file; held-out perplexity gets a bar (20) that a fine-tuned demo model clears. */
function suiteFile(n = CASES, name = 'demo'): string {
  const spec = makeDemoSuite(n);
  const cases = spec.cases.map(({ line: _line, ...c }) => (c.kind === 'perplexity' ? { ...c, maxPerplexity: 20 } : c));
  const file = path.join(tempDir('tb-suite-'), `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...spec, name, cases }, null, 2));
  return file;
}

beforeAll(async () => {
  sshd = await startSshd();
  dataDir = tempDir('tb-tests-');
  runRoot = tempDir('tb-tests-remote-');
  const e = open();
  try {
    await e.call('projects.create', { name: 'trust' });
    await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
    await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
    // Same seed and pretraining, so both share one base; only the fine-tuning differs.
    const common = { pretrain_steps: 150, eval_every: 50, seed: 1 };
    const s = await e.call('runs.launch', { project: 'trust', host: 'box', recipe: 'demo-lora-torch', params: { ...common, steps: 150 } });
    const w = await e.call('runs.launch', { project: 'trust', host: 'box', recipe: 'demo-lora-torch', params: { ...common, steps: 1 } });
    strong = await waitForRun(e, s.id);
    weak = await waitForRun(e, w.id);
    expect(strong.status, strong.lastError ?? '').toBe('SUCCEEDED');
    expect(weak.status, weak.lastError ?? '').toBe('SUCCEEDED');
    await e.call('projects.setProduction', { project: 'trust', model: strong.id });
  } finally {
    e.close();
  }
  const added = cli(['suite', 'add', suiteFile(), '--project', 'trust', '--json'], { dataDir });
  expect(added.code, added.stderr).toBe(0);
  expect(added.json()).toMatchObject({ added: true, suite: { name: 'demo', version: '1', cases: CASES } });
  // A longer suite, so a test run is still going when the links are cut and the app restarts.
  expect(cli(['suite', 'add', suiteFile(LONG, 'long'), '--project', 'trust'], { dataDir }).code).toBe(0);
}, 300_000);

afterAll(async () => {
  await sshd?.stop();
});

describe('a test run of a candidate against production', () => {
  let weakTest: string;

  it('FAILS the barely trained candidate, regressions first, every case of both models stored once', { timeout: 180_000 }, async () => {
    const e = open();
    try {
      const started = await e.call('tests.start', { project: 'trust', candidate: weak.id, suite: 'demo' });
      weakTest = started.id;
      expect(started.baseline).toMatchObject({ kind: 'production', runId: strong.id });
      const { test, report } = await waitForTest(e, started.id);
      expect(test.verdict, `${report.comparison.reason} ${JSON.stringify(report.comparison.gates.map((g) => [g.id, g.outcome, g.numbers]))} ${JSON.stringify(report.comparison.metrics)}`).toBe('FAIL');
      expect(test.progress).toEqual({ done: 2 * CASES, total: 2 * CASES });
      const gates = Object.fromEntries(report.comparison.gates.map((g) => [g.id, g]));
      // The statistics see it too, not only the critical gate: fewer passes (McNemar) or a worse score.
      const statistical = ['non-inferiority', 'mcnemar'].filter((g) => gates[g]!.outcome === 'fail');
      expect(statistical.length, JSON.stringify(report.comparison.gates)).toBeGreaterThan(0);
      expect(Number(gates['non-inferiority']!.numbers.estimate)).toBeLessThan(0);
      // Regressions come first, then everything else.
      const changes = report.comparison.cases.map((c) => c.change);
      const firstOther = changes.findIndex((c) => c !== 'regression');
      expect(firstOther).toBeGreaterThan(0);
      expect(changes.slice(firstOther)).not.toContain('regression');
      // The stored records are exactly the runner's lines.
      const remote = remoteCaseLines(test.id === started.id ? (await e.call('runs.get', { id: started.id })).remoteDir : '');
      expect(remote.length).toBe(2 * CASES);
      expect(new Set(remote).size).toBe(2 * CASES);
      // Model files hashed on the host are the files' own sha256.
      const cand = report.models.find((m) => m.role === 'candidate')!;
      const merged = cand.files.find((f) => f.path.endsWith('merged.safetensors'))!;
      expect(merged.sha256).toBe(
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(weak.remoteDir, 'outputs', 'merged.safetensors')))
          .digest('hex'),
      );
      expect(cand.rootDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(report.provenance.lineage).toMatchObject({ run: weak.id, recipe: 'demo-lora-torch' });
      expect(report.provenance.environment.torch).toBeTruthy();
      // The recorded digest is the digest of the HTML the CLI writes.
      expect(test.reportSha256).toMatch(/^[0-9a-f]{64}$/);
      const out = path.join(tempDir('tb-report-'), 'report.html');
      const written = cli(['test', 'report', test.id, '--out', out, '--json'], { dataDir });
      expect(written.code, written.stderr).toBe(0);
      expect(crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex')).toBe(test.reportSha256);
    } finally {
      e.close();
    }
  });

  it('blocks on a critical regression until it is waived with a reason', async () => {
    const e = open();
    try {
      const report = await e.call('tests.report', { id: weakTest });
      const critical = report.comparison.cases.find((c) => c.critical && c.change === 'regression');
      expect(critical, 'the barely trained candidate regresses on a critical case').toBeTruthy();
      const gate = () => e.call('tests.report', { id: weakTest }).then((r) => r.comparison.gates.find((g) => g.id === 'critical-regressions')!);
      expect((await gate()).outcome).toBe('fail');
      for (const c of report.comparison.cases.filter((x) => x.critical && x.change === 'regression')) {
        await e.call('tests.waive', { id: weakTest, caseId: c.caseId, reason: 'known gap, tracked in #42' });
      }
      expect((await gate()).outcome).toBe('pass');
      const after = await e.call('tests.report', { id: weakTest });
      expect(after.waivers.map((w) => w.caseId)).toContain(critical!.caseId);
      expect(after.comparison.cases.find((c) => c.caseId === critical!.caseId)!.waived).toBe('known gap, tracked in #42');
    } finally {
      e.close();
    }
  });

  it('PASSES the production model tested against itself', { timeout: 180_000 }, async () => {
    const done = cli(['test', 'run', '--project', 'trust', '--candidate', strong.id, '--suite', 'demo@1', '--wait', '--json'], { dataDir, timeoutMs: 170_000 });
    expect(done.code, done.stderr).toBe(0);
    const t = done.json();
    expect(t.verdict).toBe('PASS');
    const e = open();
    try {
      const ni = (await e.call('tests.report', { id: t.id })).comparison.gates.find((g) => g.id === 'non-inferiority')!;
      expect(ni.outcome).toBe('pass');
      expect(ni.numbers).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
    } finally {
      e.close();
    }
  });

  it('loses and repeats no case through cut links, an app restart, a cancel and a resume', { timeout: 240_000 }, async () => {
    let e = open(150);
    const started = await e.call('tests.start', { project: 'trust', candidate: weak.id, suite: 'long', baseline: 'base' });
    const remoteDir = (await e.call('runs.get', { id: started.id })).remoteDir;
    const cut: boolean[] = [];
    let stored = 0;
    for (let i = 0; i < 2; i++) {
      // Cut while cases stream in: more have been stored since the last cut.
      const before = stored;
      stored = await until(`more than ${before} stored cases before cut ${i + 1}`, async () => {
        const done = (await e.call('tests.get', { id: started.id })).progress.done;
        return done > before && done;
      });
      cut.push(sshd.cutLinks());
    }
    e.close(); // the app quits mid-test ...
    await until('the runner to write cases the closed app has not stored', () => remoteCaseLines(remoteDir).length > stored + 5);
    e = open(150); // ... and comes back
    try {
      // Cancel once some cases are in, then resume: finished cases are kept and not run again.
      await until('10 cases written', () => remoteCaseLines(remoteDir).length >= 10);
      await e.call('tests.cancel', { id: started.id });
      const cancelled = await waitForRun(e, started.id);
      expect(cancelled.status).toBe('CANCELLED');
      const keptBefore = (await e.call('tests.get', { id: started.id })).progress.done;
      expect(keptBefore).toBeLessThan(2 * LONG);
      await e.call('tests.resume', { id: started.id });
      // A resume while its runner runs (a run read as lost while it ran on, or another app's resume) starts
      // no second runner and leaves its files: the runner is followed again. Here the run is made to read
      // as LOST meanwhile (a lost run is no longer followed: without the resume its cases stop coming in).
      await until('the resumed runner to run', async () => (await e.call('runs.get', { id: started.id })).status === 'RUNNING' && fs.existsSync(path.join(remoteDir, '.tb/pid')));
      const pid = fs.readFileSync(path.join(remoteDir, '.tb/pid'), 'utf8');
      const db = new Database(path.join(dataDir, 'tunebench.db'));
      try {
        db.prepare("UPDATE runs SET status = 'LOST' WHERE id = ?").run(started.id);
      } finally {
        db.close();
      }
      await e.call('tests.resume', { id: started.id });
      expect(fs.readFileSync(path.join(remoteDir, '.tb/pid'), 'utf8')).toBe(pid);
      await until('the live runner to be followed again', async () => (await e.call('runs.get', { id: started.id })).status === 'RUNNING');
      expect(fs.readFileSync(path.join(remoteDir, '.tb/pid'), 'utf8')).toBe(pid);
      const { test } = await waitForTest(e, started.id);
      expect(cut).toEqual([true, true]);
      expect(test.progress.done).toBe(2 * LONG);
      const remote = remoteCaseLines(remoteDir);
      expect(remote.length).toBe(2 * LONG);
      expect(new Set(remote).size).toBe(2 * LONG);
      expect(test.baseline.kind).toBe('base');
    } finally {
      e.close();
    }
  });

  it("keeps the project's gate policy, and refuses bars on metrics that do not exist", () => {
    const set = cli(['test', 'policy', 'trust', '--delta', '0.05', '--metric', 'pass_rate>=0.5', '--metric', 'perplexity:abs=0,lower', '--pin', 'demo@1', '--json'], { dataDir });
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toMatchObject({
      delta: 0.05,
      pinnedSuite: 'demo@1',
      metrics: { pass_rate: { threshold: 0.5, greaterIsBetter: true }, perplexity: { minAbsoluteChange: 0, greaterIsBetter: false } },
    });
    for (const bad of ['valueOf>=1', '__proto__>=1', 'pass_rate>=lots']) {
      const r = cli(['test', 'policy', 'trust', '--metric', bad, '--json'], { dataDir });
      expect(r.code, bad).toBe(2);
      expect(r.errorJson().error.code).toBe('BAD_USAGE');
    }
    expect(cli(['test', 'policy', 'trust', '--json'], { dataDir }).json().delta).toBe(0.05);
  });

  it('refuses bad suites with the file, line and case, and the same version with other cases', () => {
    const dir = tempDir('tb-bad-suite-');
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'name: bad\nversion: 1\ncases:\n  - {id: a, kind: exact, input: q, expect: x}\n  - {id: a, kind: exact, input: q, expect: y}\n');
    const r = cli(['suite', 'add', bad, '--project', 'trust', '--json'], { dataDir });
    expect(r.code).toBe(2);
    expect(r.errorJson().error).toMatchObject({ code: 'SUITE_INVALID', message: expect.stringContaining('bad.yaml:5 (case "a"): duplicate case id') });
    const changed = path.join(dir, 'demo.json');
    const spec = makeDemoSuite(CASES);
    spec.cases[0]!.input = 'something else';
    fs.writeFileSync(changed, JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _line, ...c }) => c) }));
    const again = cli(['suite', 'add', changed, '--project', 'trust', '--json'], { dataDir });
    expect(again.code).toBe(2);
    expect(again.errorJson().error.code).toBe('SUITE_VERSION_EXISTS');
    const listed = cli(['suite', 'list', '--project', 'trust', '--json'], { dataDir }).json();
    expect(listed.map((x: { name: string }) => x.name).sort()).toEqual(['demo', 'long']);
  });
});
