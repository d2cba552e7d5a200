// demo-lora-stdlib: a real tiny LoRA fine-tune in pure Python, for any host with Python 3.8+.
import { z } from 'zod';
import { demoFiles } from './demo-files';
import type { Recipe } from './recipe';
import { commandLine } from './shell';

const Params = z.strictObject({
  steps: z.coerce.number().int().min(1).max(1_000_000).default(200),
  eval_every: z.coerce.number().int().min(1).default(20),
  save_every: z.coerce.number().int().min(0).default(0),
  lr: z.coerce.number().positive().max(100).default(2.0),
  rank: z.coerce.number().int().min(1).max(64).default(4),
  alpha: z.coerce.number().positive().default(8),
  batch: z.coerce.number().int().min(1).max(4096).default(32),
  seed: z.coerce.number().int().min(0).default(0),
  sleep_per_step: z.coerce.number().min(0).max(60).default(0),
});

export const demoLoraStdlib: Recipe<typeof Params> = {
  name: 'demo-lora-stdlib',
  summary: 'Tiny character-level LoRA fine-tune in pure Python (no torch); seconds on a CPU',
  needs: 'Python 3.8+',
  requires: { python: '3.8' },
  params: Params,
  help: {
    steps: 'Training steps',
    eval_every: 'Evaluate every N steps',
    save_every: 'Save a checkpoint every N steps (0: only at the end)',
    lr: 'Learning rate (linear decay to 0)',
    rank: 'LoRA rank r',
    alpha: 'LoRA alpha (scale = alpha / r)',
    batch: 'Characters per step',
    seed: 'Random seed',
    sleep_per_step: 'Seconds to wait after each step (to make a demo run last longer)',
  },
  render(p, ctx) {
    const { files, dataset } = demoFiles('demo_lora_stdlib.py', ctx);
    const args = [
      'train.py',
      '--dataset',
      dataset,
      '--steps',
      p.steps,
      '--eval-every',
      p.eval_every,
      '--save-every',
      p.save_every,
      '--lr',
      p.lr,
      '--rank',
      p.rank,
      '--alpha',
      p.alpha,
      '--batch',
      p.batch,
      '--seed',
      p.seed,
      '--sleep-per-step',
      p.sleep_per_step,
    ].map(String);
    return { command: commandLine(ctx.python, args), env: {}, files };
  },
};
