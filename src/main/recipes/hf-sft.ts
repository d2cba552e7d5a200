// hf-sft: transformers + peft (trl when present): full, LoRA or QLoRA; torchrun across the chosen GPUs.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../version';
import { EngineError } from '../errors';
import type { Recipe } from './recipe';
import { commandLine, flags, gpuEnv, torchLauncher } from './shell';

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const NO_CONTROL = /^[^\u0000-\u001f]*$/;

const Params = z.strictObject({
  base_model: z.string().trim().min(1, 'Give the base model (a hub id or a path on the host).').max(500).regex(NO_CONTROL),
  revision: z.string().trim().max(200).regex(NO_CONTROL).optional(),
  dataset: z.string().trim().max(4096).regex(NO_CONTROL).optional(),
  method: z.enum(['full', 'lora', 'qlora']).default('lora'),
  chat_template: z.string().max(20_000).optional(),
  max_seq_length: z.coerce.number().int().min(16).max(1_048_576).default(2048),
  packing: bool.default(false),
  learning_rate: z.coerce.number().positive().max(1).default(2e-4),
  lr_scheduler: z.enum(['linear', 'cosine', 'constant', 'constant_with_warmup', 'cosine_with_restarts', 'polynomial']).default('cosine'),
  warmup_ratio: z.coerce.number().min(0).max(1).default(0.03),
  epochs: z.coerce.number().positive().max(1000).default(1),
  max_steps: z.coerce.number().int().min(-1).default(-1),
  per_device_batch: z.coerce.number().int().min(1).max(4096).default(4),
  grad_accum: z.coerce.number().int().min(1).max(4096).default(4),
  lora_r: z.coerce.number().int().min(1).max(1024).default(16),
  lora_alpha: z.coerce.number().int().min(1).max(4096).default(32),
  lora_dropout: z.coerce.number().min(0).max(1).default(0.05),
  target_modules: z
    .string()
    .trim()
    .regex(/^[\w.,-]+$/, 'Module names separated by commas, or all-linear.')
    .default('all-linear'),
  seed: z.coerce.number().int().min(0).default(42),
  bf16: bool.default(true),
  gradient_checkpointing: bool.default(false),
  eval_split: z.coerce.number().min(0).max(0.5).default(0.05),
  eval_steps: z.coerce.number().int().min(1).default(100),
  save_steps: z.coerce.number().int().min(1).default(500),
  gpus: z
    .string()
    .trim()
    .regex(/^\d+(,\d+)*$/, 'GPU indices separated by commas, e.g. 0,1.')
    .optional(),
});

export const hfSft: Recipe<typeof Params> = {
  name: 'hf-sft',
  summary: 'Supervised fine-tuning with Hugging Face transformers + peft (trl when present): full, LoRA or QLoRA',
  needs: 'torch, transformers, peft, datasets, accelerate; bitsandbytes for QLoRA; a GPU',
  requires: { packages: ['torch', 'transformers', 'peft', 'datasets', 'accelerate'] },
  params: Params,
  help: {
    base_model: 'Hub id or path of the base model',
    revision: 'Model revision (branch, tag or commit)',
    dataset: 'JSONL path on the host or hub dataset id (or upload a local file with --dataset)',
    method: 'full, lora or qlora',
    chat_template: "Jinja chat template (default: the tokenizer's)",
    max_seq_length: 'Maximum sequence length',
    packing: 'Pack short examples together (trl)',
    learning_rate: 'Peak learning rate',
    lr_scheduler: 'Learning-rate schedule',
    warmup_ratio: 'Fraction of steps for warmup',
    epochs: 'Epochs (ignored when max_steps > 0)',
    max_steps: 'Stop after this many steps (-1: use epochs)',
    per_device_batch: 'Batch size per GPU',
    grad_accum: 'Gradient accumulation steps',
    lora_r: 'LoRA rank',
    lora_alpha: 'LoRA alpha',
    lora_dropout: 'LoRA dropout',
    target_modules: 'LoRA target modules, comma-separated, or all-linear',
    seed: 'Random seed',
    bf16: 'Train in bfloat16',
    gradient_checkpointing: 'Trade compute for memory',
    eval_split: 'Fraction held out for eval (0: none)',
    eval_steps: 'Evaluate every N steps',
    save_steps: 'Checkpoint every N steps',
    gpus: 'GPU indices to use, e.g. 0,1 (default: all visible; several start torchrun)',
  },
  multiNode: true,
  render(p, ctx) {
    const dataset = ctx.dataset ?? p.dataset;
    if (!dataset) throw new EngineError('VALIDATION_FAILED', 'hf-sft needs a dataset: a path on the host, a hub id, or a local file to upload.');
    const { env, count } = gpuEnv(p.gpus);
    const scriptArgs = [
      'train.py',
      ...flags({
        'base-model': p.base_model,
        revision: p.revision,
        dataset,
        method: p.method,
        'chat-template': p.chat_template,
        'max-seq-length': p.max_seq_length,
        packing: p.packing,
        'learning-rate': p.learning_rate,
        'lr-scheduler': p.lr_scheduler,
        'warmup-ratio': p.warmup_ratio,
        epochs: p.epochs,
        'max-steps': p.max_steps,
        'per-device-batch': p.per_device_batch,
        'grad-accum': p.grad_accum,
        'lora-r': p.lora_r,
        'lora-alpha': p.lora_alpha,
        'lora-dropout': p.lora_dropout,
        'target-modules': p.target_modules,
        seed: p.seed,
        bf16: p.bf16,
        'gradient-checkpointing': p.gradient_checkpointing,
        'eval-split': p.eval_split,
        'eval-steps': p.eval_steps,
        'save-steps': p.save_steps,
        'output-dir': 'outputs',
      }),
    ];
    const prefix = torchLauncher(ctx.python, count, ctx.nodes);
    return {
      command: commandLine(prefix, scriptArgs),
      env: { ...env, TOKENIZERS_PARALLELISM: 'false' },
      files: { 'train.py': fs.readFileSync(path.join(PACKAGE_ROOT, 'resources', 'recipes', 'hf_sft.py')) },
    };
  },
};
