// Production candidates, the project's saved recipe, and run tags and notes, through the CLI, on seeded runs.
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/tunebench';

describe('production candidates', () => {
  it("are proposed from finished runs with a reason, listed with the objective's best, and the recipe saved", () => {
    const dir = tempDir();
    const seeded = cli(['demo', 'seed', '--runs', '4', '--points', '400', '--json'], { dataDir: dir });
    expect(seeded.code, seeded.stderr).toBe(0);
    const [a, b] = seeded.json().runIds as string[];
    expect(cli(['candidate', 'propose', a!, '--json'], { dataDir: dir }).errorJson().error.message).toMatch(/--reason is required/);
    const bad = cli(['candidate', 'propose', a!, '--checkpoint', '../../etc', '--reason', 'x', '--json'], { dataDir: dir });
    expect(bad.code).toBe(2);
    expect(bad.errorJson().error.code).toBe('VALIDATION_FAILED');
    const proposed = cli(['candidate', 'propose', a!, '--checkpoint', 'checkpoints/step-200', '--reason', 'lowest eval loss, stable curve', '--json'], { dataDir: dir });
    expect(proposed.code, proposed.stderr).toBe(0);
    expect(proposed.json()).toMatchObject({ runId: a, checkpoint: 'checkpoints/step-200', objective: { metric: 'eval_loss', goal: 'minimize', best: expect.any(Number), step: expect.any(Number) } });
    cli(['candidate', 'propose', b!, '--reason', 'second opinion'], { dataDir: dir });
    const list = cli(['candidate', 'list', '--project', 'demo', '--json'], { dataDir: dir }).json();
    expect(list.map((c: { runId: string }) => c.runId)).toEqual([b, a]);

    expect(cli(['project', 'set-objective', 'demo', '--metric', 'loss', '--goal', 'maximize', '--json'], { dataDir: dir }).json().objective).toEqual({ metric: 'loss', goal: 'maximize' });
    const byLoss = cli(['candidate', 'list', '--project', 'demo', '--json'], { dataDir: dir }).json();
    expect(byLoss[0].objective.best).toBeGreaterThan(20); // the seeded spike is each run's max loss

    const saved = cli(['project', 'set-recipe', 'demo', '--from-run', a!, '--json'], { dataDir: dir }).json();
    expect(saved.recipe).toMatchObject({ name: 'demo-lora-stdlib', fromRunId: a, params: { steps: 400 } });
    expect(cli(['project', 'show', 'demo', '--json'], { dataDir: dir }).json().recipe.fromRunId).toBe(a);
  });

  it('refuses a run that has not succeeded', async () => {
    const dir = tempDir();
    expect(cli(['project', 'create', 'p'], { dataDir: dir }).code).toBe(0);
    const run = cli(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'custom', '--param', 'command=exit 4', '--json'], { dataDir: dir }).json();
    cli(['run', 'wait', run.id], { dataDir: dir });
    const r = cli(['candidate', 'propose', run.id, '--reason', 'why not', '--json'], { dataDir: dir });
    expect(r.code).toBe(2);
    expect(r.errorJson().error.message).toMatch(/only a run that SUCCEEDED/);
  });

  it('annotates a run with tags and notes that the filter language finds', () => {
    const dir = tempDir();
    const [a] = cli(['demo', 'seed', '--runs', '2', '--points', '50', '--json'], { dataDir: dir }).json().runIds as string[];
    const none = cli(['run', 'annotate', a!, '--json'], { dataDir: dir });
    expect(none.code).toBe(2);
    expect(none.errorJson().error.message).toMatch(/--tags A,B and\/or --notes TEXT/);
    const r = cli(['run', 'annotate', a!, '--tags', 'golden, sweep-3', '--notes', 'diverged after warmup; rerun with lower lr', '--json'], { dataDir: dir });
    expect(r.code, r.stderr).toBe(0);
    // The answer is what was stored: tags trimmed, duplicates once.
    expect(r.json()).toEqual({ id: a, name: expect.stringMatching(/^[a-z]+-[a-z]+-\d+$/), tags: ['golden', 'sweep-3'], notes: 'diverged after warmup; rerun with lower lr' });
    expect(cli(['run', 'annotate', a!, '--tags', ' golden ,golden,, sweep-3', '--json'], { dataDir: dir }).json().tags).toEqual(['golden', 'sweep-3']);
    const found = cli(['run', 'list', '--filter', 'notes ~ "diverged" and tag:golden', '--json'], { dataDir: dir }).json();
    expect(found.map((x: { id: string; tags: string[]; notes: string }) => [x.id, x.tags, x.notes])).toEqual([[a, ['golden', 'sweep-3'], 'diverged after warmup; rerun with lower lr']]);
    expect(cli(['run', 'annotate', a!, '--notes', '', '--json'], { dataDir: dir }).code).toBe(0);
    expect(cli(['run', 'list', '--filter', 'notes ~ "diverged"', '--json'], { dataDir: dir }).json()).toEqual([]);
    expect(cli(['run', 'list', '--filter', 'tag:golden', '--json'], { dataDir: dir }).json()).toHaveLength(1); // tags kept when only notes change
  });
});
