// Continuous training re-runs the saved recipe's code, not whatever its folder holds by then: the run
// whose recipe was saved is pinned to its code (digest, git commit); a firing after the folder moved on
// trains that commit, checked out apart; code that was never committed and has changed is refused with
// a sentence instead of being trained in its new state.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Firing } from '../../src/shared/domain/continuous';
import { tempDir } from '../support/tunebench';
import { until } from '../support/wait';

let dataDir: string;
let engine: Engine;
const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { stdio: 'pipe' })
    .toString()
    .trim();

async function trainedWith(project: string, code: string): Promise<string> {
  const run = await engine.call('runs.launch', { project, host: 'local', recipe: 'demo-lora-stdlib', params: { steps: 20, eval_every: 10 }, code });
  const done = await until(
    'the run to finish',
    async () => {
      const r = await engine.call('runs.sync', { id: run.id });
      return FINAL.includes(r.status) ? r : undefined;
    },
    120_000,
    100,
  );
  expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
  return run.id;
}

/** Fires the project's manual trigger and moves the pipeline until the firing has launched a run or failed. */
async function fire(project: string): Promise<Firing> {
  const trigger = await engine.call('triggers.add', { project, kind: 'manual', host: 'local' });
  const firing = await engine.call('triggers.fire', { trigger: trigger.id });
  return until(
    'the firing to launch or fail',
    async () => {
      await engine.call('triggers.tick', {});
      const f = (await engine.call('triggers.history', { project })).find((x) => x.id === firing.id)!;
      return f.runId || f.status === 'FAILED' ? f : undefined;
    },
    60_000,
    100,
  );
}

beforeAll(() => {
  dataDir = tempDir('tb-pin-');
  engine = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0, checkOutputs: true });
});

afterAll(() => engine.close());

describe('the saved recipe pins its code', () => {
  it('trains the commit the saved run trained, after the folder has moved on', async () => {
    await engine.call('projects.create', { name: 'pinned' });
    const repo = tempDir('tb-pin-repo-');
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'VERSION'), 'v1\n');
    fs.mkdirSync(path.join(repo, 'lib'));
    fs.writeFileSync(path.join(repo, 'lib', 'model.py'), 'SIZE = 1\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'v1');
    const v1 = git(repo, 'rev-parse', 'HEAD');
    const saved = await trainedWith('pinned', repo);
    const project = await engine.call('projects.setRecipe', { ref: 'pinned', fromRun: saved });
    expect(project.recipe!.code).toMatchObject({ dir: fs.realpathSync(repo), commit: v1, dirty: false });

    // Unchanged: the folder itself.
    let firing = await fire('pinned');
    expect(firing.status, firing.detail ?? '').not.toBe('FAILED');
    expect(firing.detail).toMatch(/^Trains the code in .* as run \w+ trained it/);
    // One firing at a time per project: this one ends (trained, no suite to test with) before the next starts.
    await until(
      'the first firing to end',
      async () => {
        await engine.call('runs.sync', { id: firing.runId! });
        await engine.call('triggers.tick', {});
        const f = (await engine.call('triggers.history', { project: 'pinned' })).find((x) => x.id === firing.id)!;
        return ['NOT_PROPOSED', 'FAILED', 'PROPOSED'].includes(f.status) ? f : undefined;
      },
      120_000,
      100,
    );

    // The code moves on (a commit, and then uncommitted edits): the firing trains v1's files all the same.
    fs.writeFileSync(path.join(repo, 'VERSION'), 'v2\n');
    git(repo, 'commit', '-qam', 'v2');
    fs.writeFileSync(path.join(repo, 'lib', 'model.py'), 'SIZE = 3  # not committed\n');
    fs.writeFileSync(path.join(repo, 'new.py'), 'print("new")\n');
    firing = await fire('pinned');
    expect(firing.status, firing.detail ?? '').not.toBe('FAILED');
    expect(firing.detail).toContain(`Trains the code of commit ${v1.slice(0, 12)}`);
    const run = await engine.call('runs.get', { id: firing.runId! });
    expect(fs.readFileSync(path.join(run.remoteDir, 'code', 'VERSION'), 'utf8')).toBe('v1\n');
    expect(fs.readFileSync(path.join(run.remoteDir, 'code', 'lib', 'model.py'), 'utf8')).toBe('SIZE = 1\n');
    expect(fs.existsSync(path.join(run.remoteDir, 'code', 'new.py'))).toBe(false);
    // The new run is pinned to the same code, and the checkout made for it is gone.
    expect(JSON.parse(fs.readFileSync(path.join(run.remoteDir, 'run.json'), 'utf8')).code.digest).toBe(project.recipe!.code!.digest);
    expect(fs.readdirSync(path.join(dataDir, 'tmp', 'continuous'))).toEqual([]);
    await engine.call('runs.cancel', { id: run.id }).catch(() => undefined);
  }, 240_000);

  it('refuses, with a sentence, to train uncommitted code that has changed since', async () => {
    await engine.call('projects.create', { name: 'loose' });
    const folder = tempDir('tb-pin-loose-');
    fs.writeFileSync(path.join(folder, 'VERSION'), 'v1\n');
    const saved = await trainedWith('loose', folder);
    const project = await engine.call('projects.setRecipe', { ref: 'loose', fromRun: saved });
    expect(project.recipe!.code).toMatchObject({ commit: null, dirty: false });
    fs.writeFileSync(path.join(folder, 'VERSION'), 'v2\n');
    const before = (await engine.call('runs.list', { project: 'loose' })).length;
    const firing = await fire('loose');
    expect(firing.status).toBe('FAILED');
    expect(firing.detail).toMatch(
      new RegExp(
        `^The code in .* changed since run ${saved} trained with it \\(sha256 \\w{12}… then, \\w{12}… now\\), and that code was not in git, so it cannot be trained again exactly\\. Put it back, or commit the code`,
      ),
    );
    expect(firing.runId).toBeNull();
    expect((await engine.call('runs.list', { project: 'loose' })).length).toBe(before);

    // A folder that is gone says so.
    fs.rmSync(folder, { recursive: true });
    const gone = await fire('loose');
    expect(gone.detail).toMatch(/^The code folder .* that run \w+ trained with is gone\. Put it back, or commit the code/);
  }, 240_000);
});
