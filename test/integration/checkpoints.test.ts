// Events from events.jsonl are ingested; a run's checkpoints are scored by the project's objective.
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { tempDir } from '../support/tunebench';

describe('checkpoints', () => {
  it('finds the best checkpoint of a real demo run by the objective, either way round', { timeout: 60_000 }, async () => {
    const engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
    try {
      await engine.call('projects.create', { name: 'ckpt' });
      const run = await engine.call('runs.launch', { project: 'ckpt', host: 'local', recipe: 'demo-lora-stdlib', params: { steps: 80, eval_every: 20, save_every: 20 } });
      let done = run;
      for (let i = 0; i < 200 && !['SUCCEEDED', 'FAILED'].includes(done.status); i++) {
        await new Promise((r) => setTimeout(r, 150));
        done = await engine.call('runs.sync', { id: run.id });
      }
      expect(done.status).toBe('SUCCEEDED');
      const evals = await engine.call('runs.metrics', { id: run.id, name: 'eval_loss' });
      const r = await engine.call('runs.checkpoints', { id: run.id });
      expect(r.checkpoints.map((c) => [c.step, c.path])).toEqual([20, 40, 60, 80].map((s) => [s, `checkpoints/step-${s}`]));
      const best = evals.reduce((a, b) => (b.value! < a.value! ? b : a));
      expect(r.best).toEqual({ step: best.step, path: `checkpoints/step-${best.step}`, value: best.value });
      await engine.call('projects.setObjective', { ref: 'ckpt', metric: 'eval_loss', goal: 'maximize' });
      const worst = evals.reduce((a, b) => (b.value! > a.value! ? b : a));
      expect((await engine.call('runs.checkpoints', { id: run.id })).best?.step).toBe(worst.step);
    } finally {
      engine.close();
    }
  });
});
