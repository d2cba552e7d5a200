// demo-lora-torch: a tiny char-level transformer, pretrained briefly, then LoRA fine-tuned, on CPU with torch.
import { z } from 'zod';
import { demoFiles } from './demo-files';
import type { Recipe } from './recipe';
import { commandLine, torchLauncher } from './shell';

const int = (min: number, max: number, d: number) => z.coerce.number().int().min(min).max(max).default(d);

const Params = z.strictObject({
  steps: int(1, 1_000_000, 100),
  pretrain_steps: int(0, 1_000_000, 150),
  eval_every: int(1, 1_000_000, 20),
  save_every: int(0, 1_000_000, 0),
  lr: z.coerce.number().positive().max(10).default(3e-3),
  rank: int(1, 256, 4),
  alpha: z.coerce.number().positive().default(8),
  seq_len: int(8, 4096, 64),
  batch: int(1, 4096, 16),
  d_model: int(8, 4096, 64),
  layers: int(1, 64, 2),
  heads: int(1, 64, 4),
  seed: int(0, 2 ** 31, 0),
  sleep_per_step: z.coerce.number().min(0).max(60).default(0),
});

export const demoLoraTorch: Recipe<typeof Params> = {
  name: 'demo-lora-torch',
  summary: 'Tiny character-level transformer: brief pretraining, then a hand-written LoRA fine-tune; seconds on a CPU',
  needs: 'Python 3.8+ with torch (Debian: python3-torch)',
  requires: { python: '3.8', packages: ['torch'] },
  params: Params,
  help: {
    steps: 'LoRA fine-tuning steps',
    pretrain_steps: 'Steps of base-model pretraining on raw text first',
    eval_every: 'Evaluate every N steps',
    save_every: 'Save the adapter every N steps (0: only at the end)',
    lr: 'Learning rate (linear decay)',
    rank: 'LoRA rank r',
    alpha: 'LoRA alpha',
    seq_len: 'Context length in characters',
    batch: 'Sequences per step',
    d_model: 'Model width',
    layers: 'Transformer blocks',
    heads: 'Attention heads',
    seed: 'Random seed',
    sleep_per_step: 'Seconds to wait after each step',
  },
  multiNode: true,
  render(p, ctx) {
    const { files, dataset } = demoFiles('demo_lora_torch.py', ctx);
    const args = ['train.py', '--dataset', dataset];
    for (const [k, v] of Object.entries(p)) args.push(`--${k.replace(/_/g, '-')}`, String(v));
    return {
      command: commandLine(
        // torchrun of Debian's torch 1.13 on Python 3.11 reads its default --redirects as None and
        // crashes; explicit redirects with tee keep every line on the console (prefixed [default0]:).
        torchLauncher(ctx.python, 1, ctx.nodes, '--redirects 1 --tee 1 --monitor_interval 1'),
        args,
      ),
      env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
      files,
    };
  },
};
