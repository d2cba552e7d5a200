// Continuous training end to end on this machine (the local host, real demo-lora-torch training, the
// real testing pipeline): a new version of a dataset fires the trigger, the saved recipe trains on it,
// the run is tested against production with the pinned suite, and a PASS proposes it as the candidate,
// with the trigger as its reason. Two quick versions collapse into one training; a schedule missed for
// many windows while the app was closed fires once.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Firing } from '../../src/shared/domain/continuous';
import { ROOT, cli, tempDir } from '../support/tunebench';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { until as waitUntil } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 120_000) => waitUntil(what, check, timeoutMs, 100);

let dataDir: string;
const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];
const open = (syncMs = 0): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: syncMs, checkOutputs: true });

const DEMO = fs
  .readFileSync(path.join(ROOT, 'resources', 'recipes', 'data', 'instruct-demo.jsonl'), 'utf8')
  .trim()
  .split('\n');
/** A version of the dataset: the demo examples, some left out or one added. */
function version(lines: string[]): string {
  const file = path.join(tempDir('tb-ds-'), 'train.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

beforeAll(async () => {
  dataDir = tempDir('tb-ct-');
  const e = open();
  try {
    await e.call('projects.create', { name: 'ct' });
    // Debian's python3 has torch here (environment.md); the first python3 on PATH may not.
    await e.call('hosts.configure', { ref: 'local', python: '/usr/bin/python3' });
    // Production: the demo model trained on the demo data. Its recipe is the project's saved one.
    const prod = await e.call('runs.launch', { project: 'ct', host: 'local', recipe: 'demo-lora-torch', params: { pretrain_steps: 150, steps: 150, eval_every: 50, seed: 1 } });
    const done = await until('production to finish training', async () => {
      const r = await e.call('runs.sync', { id: prod.id });
      return FINAL.includes(r.status) ? r : undefined;
    });
    expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
    await e.call('projects.setProduction', { project: 'ct', model: prod.id });
    await e.call('projects.setRecipe', { ref: 'ct', fromRun: prod.id });
    const spec = makeDemoSuite(80);
    await e.call('suites.add', { project: 'ct', fileName: 'demo.json', text: JSON.stringify({ ...spec, name: 'demo', cases: spec.cases.map(({ line: _line, ...c }) => c) }) });
    await e.call('tests.setPolicy', { project: 'ct', policy: { pinnedSuite: 'demo', delta: 0.2 } }); // a demo-sized suite: a wide margin decides
    await e.call('projects.create', { name: 'nightly' });
  } finally {
    e.close();
  }
}, 300_000);

afterAll(() => {});

describe('continuous training', () => {
  it('a new dataset version trains the saved recipe, tests it against production and proposes it on PASS; two quick versions make one run', async () => {
    let e = open();
    let firing: Firing;
    try {
      // The first version fires nothing: there is no trigger yet.
      const v1 = await e.call('datasets.add', { project: 'ct', name: 'train', file: version(DEMO) });
      expect(v1).toMatchObject({ added: true, fired: [], version: { version: 1, lines: DEMO.length } });
      expect(v1.version.preview.split('\n')[0]).toBe(DEMO[0]);
      // The same bytes again add no version and fire nothing.
      expect((await e.call('datasets.add', { project: 'ct', name: 'train', file: version(DEMO) })).added).toBe(false);
      await e.call('triggers.add', { project: 'ct', kind: 'dataset', dataset: 'train', host: 'local' });
      // Two versions in quick succession: the second collapses into the first firing, which waits its turn.
      const v2 = await e.call('datasets.add', { project: 'ct', name: 'train', file: version(DEMO.slice(1)) });
      const v3 = await e.call('datasets.add', { project: 'ct', name: 'train', file: version([...DEMO, DEMO[3]!]) });
      expect(v2.fired.map((f) => f.status)).toEqual(['QUEUED']);
      expect(v3.fired.map((f) => f.status)).toEqual(['COLLAPSED']);
      expect(v3.fired[0]!.detail).toContain(v2.fired[0]!.id);
      firing = v2.fired[0]!;
      expect(firing.reason).toMatch(/^new version 2 of train \(sha256 [0-9a-f]{12}…, 29 lines\)$/);
    } finally {
      e.close();
    }
    // The app moves it along: training, testing, proposing.
    e = open(300);
    try {
      const ended = await until(
        'the firing to end',
        async () => {
          const f = (await e.call('triggers.history', { project: 'ct' })).find((x) => x.id === firing.id)!;
          return ['PROPOSED', 'NOT_PROPOSED', 'FAILED'].includes(f.status) ? f : undefined;
        },
        300_000,
      );
      expect(ended.status, ended.detail ?? '').toBe('PROPOSED');
      expect(ended.detail).toMatch(/^PASS against production: /);
      // One training run, on the newest version (v3), with the saved recipe.
      const productionId = (await e.call('projects.get', { ref: 'ct' })).production?.runId;
      const runs = (await e.call('runs.list', { project: 'ct' })).filter((r) => r.id !== productionId);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.id).toBe(ended.runId);
      const runJson = JSON.parse(fs.readFileSync(path.join(runs[0]!.remoteDir, 'run.json'), 'utf8')) as { dataset: { sha256: string }; params: Record<string, unknown> };
      const versions = await e.call('datasets.versions', { project: 'ct', dataset: 'train' });
      expect(runJson.dataset.sha256).toBe(versions[0]!.sha256);
      expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
      expect(runJson.params).toMatchObject({ pretrain_steps: 150, steps: 150, seed: 1 });
      // Proposed with the trigger as its reason; nothing approved.
      const candidates = await e.call('candidates.list', { project: 'ct' });
      expect(candidates).toHaveLength(1);
      expect(candidates[0]).toMatchObject({ runId: ended.runId });
      expect(candidates[0]!.reason).toMatch(/^continuous training: new version 2 of train .*; PASS against production: .* on demo@1 \(test [0-9A-Z]+\)$/);
      expect(await e.call('approvals.list', { project: 'ct' })).toEqual([]);
    } finally {
      e.close();
    }
  }, 420_000);

  it('a file on a host watched by digest becomes a new version when its content changes, and fires the triggers', async () => {
    const e = open();
    try {
      const dir = tempDir('tb-watched-');
      const file = path.join(dir, 'feed.jsonl');
      fs.writeFileSync(file, DEMO.slice(0, 5).join('\n') + '\n');
      await e.call('datasets.watch', { project: 'nightly', name: 'feed', host: 'local', path: file });
      await e.call('triggers.add', { project: 'nightly', kind: 'dataset', dataset: 'feed', host: 'local' });
      await e.call('triggers.tick', {});
      let versions = await e.call('datasets.versions', { project: 'nightly', dataset: 'feed' });
      expect(versions.map((v) => [v.version, v.lines, v.source])).toEqual([[1, 5, `local:${file}`]]);
      // Touched, same bytes: no version, nothing fired.
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(file, later, later);
      await e.call('triggers.tick', {});
      expect(await e.call('datasets.versions', { project: 'nightly', dataset: 'feed' })).toHaveLength(1);
      // New content: the next version, and the dataset's trigger fires.
      fs.appendFileSync(file, DEMO[6] + '\n');
      await e.call('triggers.tick', {});
      versions = await e.call('datasets.versions', { project: 'nightly', dataset: 'feed' });
      expect(versions.map((v) => [v.version, v.lines])).toEqual([
        [2, 6],
        [1, 5],
      ]);
      const fired = (await e.call('triggers.history', { project: 'nightly' })).filter((f) => f.reason.startsWith('new version 2 of feed'));
      expect(fired).toHaveLength(1);
      expect(fired[0]!.reason).toContain(`on local:${file}`);
      // A file that went away says so on the dataset, and adds nothing.
      fs.rmSync(file);
      await e.call('triggers.tick', {});
      const [feed] = (await e.call('datasets.list', { project: 'nightly' })).filter((d) => d.name === 'feed');
      expect(feed!.watch!.error).toMatch(/^Cannot read local:.*feed\.jsonl: .*No such file/);
      expect(feed!.versions).toBe(2);
    } finally {
      e.close();
    }
  });

  it('a schedule missed for many windows while the app was closed fires once on wake, not once per window', async () => {
    const e = open();
    try {
      const trigger = await e.call('triggers.add', { project: 'nightly', kind: 'schedule', schedule: '*/5 * * * *', host: 'local' });
      // As if the app had been closed for an hour: twelve windows passed since it last looked.
      e.db.prepare('UPDATE triggers SET last_window_at = ? WHERE id = ?').run(Date.now() - 60 * 60_000 - 1000, trigger.id);
      await e.call('triggers.tick', {});
      await e.call('triggers.tick', {});
      const history = (await e.call('triggers.history', { project: 'nightly' })).filter((f) => f.triggerId === trigger.id);
      expect(history).toHaveLength(1);
      expect(history[0]!.reason).toMatch(/^schedule "\*\/5 \* \* \* \*": the \d{4}-\d\d-\d\d \d\d:\d\d window \(1[12] earlier windows missed while the app was closed run as this one\)$/);
      // The project has no saved recipe: the firing says so instead of training something else.
      expect(history[0]).toMatchObject({ status: 'FAILED' });
      expect(history[0]!.detail).toMatch(/has no saved recipe to train again/);
      // Bad schedules are refused with the form they should take.
      const bad = cli(['trigger', 'add', '--project', 'nightly', '--host', 'local', '--schedule', 'every night'], { dataDir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/"every night" is not a schedule: invalid configuration format, exactly five, six, or seven space separated parts are required\. .*e\.g\. "0 3 \* \* \*"/);
      expect(cli(['trigger', 'add', '--project', 'nightly', '--host', 'local', '--schedule', '61 * * * *'], { dataDir }).stderr).toMatch(
        /"61 \* \* \* \*" is not a schedule: Invalid value for minute: 61\. Write it as cron does/,
      );
      expect(cli(['trigger', 'add', '--project', 'nightly', '--host', 'local'], { dataDir }).stderr).toMatch(/exactly one of --on-dataset N, --schedule CRON or --manual/);
    } finally {
      e.close();
    }
  });
});
