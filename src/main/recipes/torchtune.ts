// torchtune: `tune run RECIPE --config CONFIG key=value ...`, with overrides validated as key=value.
import { z } from 'zod';
import type { Recipe } from './recipe';
import { commandLine, gpuEnv } from './shell';

const Override = z.string().regex(/^[\w.]+=[^\u0000-\u001f]*$/, 'Overrides look like key.path=value.');

const Params = z.strictObject({
  recipe: z
    .string()
    .trim()
    .regex(/^[\w-]+$/, 'A torchtune recipe name, e.g. lora_finetune_single_device.')
    .default('lora_finetune_single_device'),
  config: z
    .string()
    .trim()
    .regex(/^[\w./-]+$/, 'A torchtune config name or a path, e.g. llama3_2/1B_lora_single_device.'),
  override: z.union([Override, z.array(Override).max(200)]).optional(),
  gpus: z
    .string()
    .trim()
    .regex(/^\d+(,\d+)*$/)
    .optional(),
});

export const torchtune: Recipe<typeof Params> = {
  name: 'torchtune',
  summary: 'A torchtune recipe and config, with key=value overrides',
  needs: "torchtune installed in the host's Python (the `tune` command); a GPU",
  requires: { packages: ['torchtune'] },
  params: Params,
  help: {
    recipe: 'torchtune recipe (e.g. lora_finetune_single_device, full_finetune_distributed)',
    config: 'Config name or path (e.g. llama3_2/1B_lora_single_device)',
    override: 'key=value override, repeatable (e.g. epochs=1, output_dir=outputs)',
    gpus: 'GPU indices, e.g. 0,1 (several use --nproc_per_node)',
  },
  multiNode: true,
  render(p, ctx) {
    const overrides = p.override === undefined ? [] : Array.isArray(p.override) ? p.override : [p.override];
    const { env, count } = gpuEnv(p.gpus);
    const pythonDir = ctx.python.includes(' ') ? '' : ctx.python.replace(/python3?$/, '');
    const tune = `${pythonDir}tune`;
    // `tune run` takes torchrun's options before the recipe; on several nodes, the c10d rendezvous
    // at the head node that the supervisor puts in TB_RDZV_ENDPOINT.
    const multiNode = (ctx.nodes ?? 1) > 1 ? ` --nnodes "$TB_NNODES" --nproc_per_node ${count} --rdzv_backend c10d --rdzv_endpoint "$TB_RDZV_ENDPOINT" --rdzv_id "tb-$SLURM_JOB_ID"` : '';
    const args = [...(count > 1 && !multiNode ? ['--nproc_per_node', String(count)] : []), p.recipe, '--config', p.config, 'output_dir=outputs', ...overrides];
    return { command: commandLine(`${tune} run${multiNode}`, args), env, files: {} };
  },
};
