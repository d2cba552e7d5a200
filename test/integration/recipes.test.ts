// Recipes render the files and command of a run; the scripts accept exactly what the forms produce.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { describeRecipes, getRecipe } from '../../src/main/recipes';
import { axolotlConfig } from '../../src/main/recipes/axolotl';
import { tempDir } from '../support/tunebench';

function render(name: string, params: Record<string, unknown>, ctx: { python: string; dataset?: string } = { python: 'python3' }) {
  const recipe = getRecipe(name);
  return recipe.render(recipe.params.parse(params), ctx);
}

function writeFiles(files: Record<string, string | Buffer>): string {
  const dir = tempDir('tb-recipe-');
  for (const [f, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), data);
  }
  return dir;
}

describe('recipes', () => {
  it('describe their parameters with types, defaults and help for the launch form', () => {
    const all = describeRecipes();
    expect(all.map((r) => r.name)).toEqual(['demo-lora-stdlib', 'demo-lora-torch', 'hf-sft', 'axolotl', 'torchtune', 'custom']);
    const hf = all.find((r) => r.name === 'hf-sft')!;
    expect(hf.params.find((p) => p.name === 'method')).toMatchObject({ type: 'full|lora|qlora', default: 'lora' });
    expect(hf.params.find((p) => p.name === 'bf16')).toMatchObject({ type: 'boolean', default: true });
    expect(all.find((r) => r.name === 'demo-lora-stdlib')!.params.find((p) => p.name === 'steps')).toMatchObject({ type: 'integer', default: 200 });
    for (const r of all) for (const p of r.params) expect(p.help, `${r.name}.${p.name}`).not.toBe('');
  });

  it('hf-sft: the rendered command parses in the real script, and several GPUs start torchrun', () => {
    const one = render('hf-sft', { base_model: 'Qwen/Qwen2.5-0.5B', dataset: 'data/chat.jsonl', method: 'qlora', lora_r: '8', gradient_checkpointing: 'true' });
    const dir = writeFiles(one.files);
    const parsed = spawnSync('/bin/sh', ['-c', `${one.command as string} --print-config`], { cwd: dir, encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(JSON.parse(parsed.stdout)).toMatchObject({
      base_model: 'Qwen/Qwen2.5-0.5B',
      dataset: 'data/chat.jsonl',
      method: 'qlora',
      lora_r: 8,
      gradient_checkpointing: true,
      bf16: true,
      output_dir: 'outputs',
    });
    const multi = render('hf-sft', { base_model: 'm', dataset: 'd', gpus: '0,2' });
    expect(multi.command).toMatch(/^python3 -m torch\.distributed\.run --standalone --nproc_per_node 2 'train\.py'/);
    expect(multi.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '0,2' });
    expect(() => render('hf-sft', { base_model: 'm' })).toThrow(/needs a dataset/);
    expect(getRecipe('hf-sft').params.safeParse({ base_model: 'm', method: 'dpo' }).success).toBe(false);
  });

  it('axolotl: renders a config that quotes what YAML would misread', () => {
    const p = getRecipe('axolotl').params.parse({ base_model: 'org/model: v2', dataset: 'data/a.jsonl', adapter: 'qlora' }) as never;
    const yaml = axolotlConfig(p, 'data/a.jsonl');
    expect(yaml).toContain('base_model: "org/model: v2"');
    expect(yaml).toContain('adapter: qlora');
    expect(yaml).toContain('load_in_4bit: true');
    expect(yaml).toContain('ds_type: json');
    expect(render('axolotl', { base_model: 'm', dataset: 'd' }).command).toBe("python3 -m axolotl.cli.train 'config.yml'");
  });

  it('torchtune: passes overrides through, refusing anything that is not key=value', () => {
    const r = render('torchtune', { config: 'llama3_2/1B_lora_single_device', override: ['epochs=1', 'batch_size=2'] }, { python: '/opt/venv/bin/python' });
    expect(r.command).toBe("/opt/venv/bin/tune run 'lora_finetune_single_device' '--config' 'llama3_2/1B_lora_single_device' 'output_dir=outputs' 'epochs=1' 'batch_size=2'");
    expect(getRecipe('torchtune').params.safeParse({ config: 'c', override: '; rm -rf ~' }).success).toBe(false);
  });

  it("demo-lora-torch fine-tunes on the local host with Debian's torch, and its eval loss falls", { timeout: 120_000 }, async () => {
    const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    expect(hasTorch, "needs Debian's python3-torch: apt-get install -y python3-torch").toBe(true);
    const engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
    try {
      await engine.call('projects.create', { name: 'torch' });
      await engine.call('hosts.configure', { ref: 'local', python: '/usr/bin/python3' });
      const run = await engine.call('runs.launch', { project: 'torch', host: 'local', recipe: 'demo-lora-torch', params: { steps: 60, eval_every: 20, pretrain_steps: 100 } });
      let done = run;
      for (let i = 0; i < 400 && !['SUCCEEDED', 'FAILED', 'LOST', 'CANCELLED'].includes(done.status); i++) {
        await new Promise((r) => setTimeout(r, 250));
        done = await engine.call('runs.sync', { id: run.id });
      }
      expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
      const evals = (await engine.call('runs.metrics', { id: run.id, name: 'eval_loss' })).map((p) => p.value!);
      expect(evals.length).toBe(4);
      expect(evals[3]!).toBeLessThan(evals[0]! - 0.1);
      expect(fs.statSync(path.join(done.remoteDir, 'outputs', 'merged.safetensors')).size).toBeGreaterThan(100_000);
    } finally {
      engine.close();
    }
  });
});
