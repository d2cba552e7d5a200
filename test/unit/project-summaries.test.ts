// The projects list's figures, and whether a host's probe says a recipe can run there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { HostProbe } from '../../src/shared/domain/host';
import { whatHostLacks } from '../../src/shared/recipe-fit';
import { tempDir } from '../support/tunebench';

let engine: Engine;
beforeAll(() => {
  engine = openEngine({ dataDir: tempDir() });
});
afterAll(() => engine.close());

describe('project summaries', () => {
  it('count training runs, find the best objective value by its goal, and date the last activity', async () => {
    const seeded = await engine.call('demo.seed', { project: 'seeded', runs: 3, points: 200, seed: 3 });
    const empty = await engine.call('projects.create', { name: 'empty' });
    const mins = engine.db
      .prepare<[string], { run_id: string; min: number; max: number }>(
        "SELECT s.run_id, s.min, s.max FROM metric_series s JOIN runs r ON r.id = s.run_id WHERE r.project_id = ? AND s.name = 'eval_loss'",
      )
      .all(seeded.projectId);
    const lowest = mins.reduce((a, b) => (b.min < a.min ? b : a));
    const highest = mins.reduce((a, b) => (b.max > a.max ? b : a));
    const ended = engine.db.prepare<[string], { t: number }>('SELECT max(ended_at) AS t FROM runs WHERE project_id = ?').get(seeded.projectId)!.t;

    const byId = async () => new Map((await engine.call('projects.summaries', {})).map((s) => [s.projectId, s]));
    const s = (await byId()).get(seeded.projectId)!;
    expect(s.runs).toBe(3);
    expect(s.best).toEqual({ value: lowest.min, runId: lowest.run_id });
    expect(s.lastActivityAt).toBeGreaterThanOrEqual(ended);
    expect((await byId()).get(empty.id)).toEqual({ projectId: empty.id, runs: 0, best: null, lastActivityAt: empty.updatedAt });

    await engine.call('projects.setObjective', { ref: 'seeded', metric: 'eval_loss', goal: 'maximize' });
    expect((await byId()).get(seeded.projectId)!.best).toEqual({ value: highest.max, runId: highest.run_id });
    await engine.call('projects.setObjective', { ref: 'seeded', metric: 'never_logged', goal: 'minimize' });
    expect((await byId()).get(seeded.projectId)!.best).toBeNull();
  });
});

describe('what a host lacks for a recipe', () => {
  const probe = (version: string | null, packages: Record<string, string | null>): HostProbe => ({
    os: 'Linux',
    kernel: '6',
    cpus: 4,
    memoryBytes: 1,
    diskFreeBytes: null,
    python: { version, packages },
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    hasSbatch: false,
  });

  it('names missing packages the probe looked for, and a Python that is too old', async () => {
    const recipes = new Map((await engine.call('recipes.list', {})).map((r) => [r.name, r]));
    const torch = recipes.get('demo-lora-torch')!;
    expect(torch.requires).toEqual({ python: '3.8', packages: ['torch'] });
    expect(whatHostLacks(torch, probe('3.11.2', { torch: null }))).toEqual(['the Python package torch']);
    expect(whatHostLacks(torch, probe('3.11.2', { torch: '2.1.0' }))).toEqual([]);
    expect(whatHostLacks(torch, probe('3.7.9', { torch: '1.13' }))).toEqual(['Python 3.8 or later (it has 3.7.9)']);
    expect(whatHostLacks(recipes.get('demo-lora-stdlib')!, probe('3.10.0', { torch: null }))).toEqual([]);
    // A package the probe did not look for is not called missing.
    expect(whatHostLacks(recipes.get('hf-sft')!, probe('3.12.1', { torch: null, transformers: '4', peft: null }))).toEqual(['the Python packages torch, peft']);
    expect(whatHostLacks(recipes.get('custom')!, probe(null, {}))).toEqual(['a Python that answers the probe']);
  });
});
