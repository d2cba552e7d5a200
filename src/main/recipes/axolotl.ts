// axolotl: renders its YAML config from typed parameters and runs `axolotl train config.yml`.
import { z } from 'zod';
import { EngineError } from '../errors';
import type { Recipe } from './recipe';
import { commandLine, gpuEnv } from './shell';

const NO_CONTROL = /^[^\u0000-\u001f]*$/;

const Params = z.strictObject({
  base_model: z.string().trim().min(1).max(500).regex(NO_CONTROL),
  dataset: z.string().trim().max(4096).regex(NO_CONTROL).optional(),
  dataset_type: z
    .string()
    .trim()
    .regex(/^[\w.:-]+$/)
    .default('alpaca'),
  adapter: z.enum(['none', 'lora', 'qlora']).default('lora'),
  sequence_len: z.coerce.number().int().min(16).default(2048),
  sample_packing: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  lora_r: z.coerce.number().int().min(1).default(16),
  lora_alpha: z.coerce.number().int().min(1).default(32),
  lora_dropout: z.coerce.number().min(0).max(1).default(0.05),
  learning_rate: z.coerce.number().positive().default(2e-4),
  micro_batch_size: z.coerce.number().int().min(1).default(2),
  gradient_accumulation_steps: z.coerce.number().int().min(1).default(4),
  num_epochs: z.coerce.number().positive().default(1),
  max_steps: z.coerce.number().int().min(-1).default(-1),
  warmup_ratio: z.coerce.number().min(0).max(1).default(0.03),
  seed: z.coerce.number().int().min(0).default(42),
  gpus: z
    .string()
    .trim()
    .regex(/^\d+(,\d+)*$/)
    .optional(),
});

/** YAML scalars, quoted where plain YAML would misread them. */
function yamlValue(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return JSON.stringify(v); // a JSON string is a valid YAML double-quoted scalar
}

export function axolotlConfig(p: z.output<typeof Params>, dataset: string): string {
  const lines = [
    `base_model: ${yamlValue(p.base_model)}`,
    'datasets:',
    `  - path: ${yamlValue(dataset)}`,
    `    type: ${yamlValue(p.dataset_type)}`,
    ...(dataset.endsWith('.jsonl') || dataset.endsWith('.json') ? ['    ds_type: json'] : []),
    `sequence_len: ${p.sequence_len}`,
    `sample_packing: ${p.sample_packing}`,
    ...(p.adapter === 'none' ? [] : [`adapter: ${p.adapter}`, `lora_r: ${p.lora_r}`, `lora_alpha: ${p.lora_alpha}`, `lora_dropout: ${p.lora_dropout}`, 'lora_target_linear: true']),
    ...(p.adapter === 'qlora' ? ['load_in_4bit: true'] : []),
    `learning_rate: ${p.learning_rate}`,
    `micro_batch_size: ${p.micro_batch_size}`,
    `gradient_accumulation_steps: ${p.gradient_accumulation_steps}`,
    `num_epochs: ${p.num_epochs}`,
    ...(p.max_steps > 0 ? [`max_steps: ${p.max_steps}`] : []),
    `warmup_ratio: ${p.warmup_ratio}`,
    `seed: ${p.seed}`,
    'bf16: auto',
    'val_set_size: 0.05',
    'output_dir: ./outputs',
    'logging_steps: 10',
  ];
  return lines.join('\n') + '\n';
}

export const axolotl: Recipe<typeof Params> = {
  name: 'axolotl',
  summary: 'axolotl with a config rendered from these parameters (metrics through the Trainer hook)',
  needs: "axolotl installed in the host's Python; a GPU",
  requires: { packages: ['axolotl'] },
  params: Params,
  help: {
    base_model: 'Hub id or path',
    dataset: 'Dataset path on the host or hub id',
    dataset_type: 'axolotl dataset type (alpaca, chat_template, completion, ...)',
    adapter: 'none (full fine-tune), lora or qlora',
    sequence_len: 'Maximum sequence length',
    sample_packing: 'Pack samples',
    lora_r: 'LoRA rank',
    lora_alpha: 'LoRA alpha',
    lora_dropout: 'LoRA dropout',
    learning_rate: 'Learning rate',
    micro_batch_size: 'Batch size per GPU',
    gradient_accumulation_steps: 'Gradient accumulation',
    num_epochs: 'Epochs',
    max_steps: 'Stop after N steps (-1: epochs)',
    warmup_ratio: 'Warmup fraction',
    seed: 'Random seed',
    gpus: 'GPU indices, e.g. 0,1',
  },
  render(p, ctx) {
    const dataset = ctx.dataset ?? p.dataset;
    if (!dataset) throw new EngineError('VALIDATION_FAILED', 'axolotl needs a dataset.');
    const { env, count } = gpuEnv(p.gpus);
    const launcher = count > 1 ? `${ctx.python} -m accelerate.commands.launch --num_processes ${count} -m axolotl.cli.train` : `${ctx.python} -m axolotl.cli.train`;
    return { command: commandLine(launcher, ['config.yml']), env, files: { 'config.yml': axolotlConfig(p, dataset) } };
  },
};
