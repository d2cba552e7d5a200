// The sitecustomize hook adds Tunebench's callback to Hugging Face Trainer without changing the script.
// transformers cannot be installed here (no PyPI), so a stand-in package with the same Trainer hooks is used.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/tunebench';

const LIB = path.join(ROOT, 'resources', 'remote');
const FAKE = path.join(ROOT, 'test', 'fixtures', 'fake-transformers');

function runPython(script: string, extraPath: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('tb-hook-');
  const r = spawnSync('python3', ['-c', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: [LIB, ...extraPath, FAKE].join(':'), TUNEBENCH_METRICS_FILE: path.join(dir, 'metrics.jsonl'), TUNEBENCH_RUN_DIR: dir, ...env },
  });
  const read = (f: string) =>
    fs.existsSync(path.join(dir, f))
      ? fs
          .readFileSync(path.join(dir, f), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  return { ...r, dir, metrics: read('metrics.jsonl'), events: read('events.jsonl') };
}

describe('the Hugging Face Trainer hook', () => {
  it('logs train and eval metrics with steps and tokens, and checkpoint saves as events', () => {
    const r = runPython('from transformers.trainer import Trainer\nt = Trainer()\nt.train()');
    expect(r.stderr).toBe('');
    expect(r.metrics).toHaveLength(4);
    expect(r.metrics[0]).toMatchObject({ seq: 1, step: 1, kind: 'train', m: { loss: 2, grad_norm: 1.5, learning_rate: 0.0001, tokens: 512 } });
    expect(r.metrics[3]).toMatchObject({ seq: 4, kind: 'eval', m: { eval_loss: 1.25 } });
    expect(r.events).toEqual([expect.objectContaining({ event: 'checkpoint_saved', step: 3, path: 'out/checkpoint-3' })]);
  });

  it("adds the callback once, to subclasses too (TRL's SFTTrainer is one)", () => {
    const r = runPython('from transformers.trainer import Trainer\nclass SFT(Trainer):\n    pass\nt = SFT()\nt.__init__()\nprint(len(t.callback_handler.callbacks))\nt.train(1)');
    expect(r.stdout.trim()).toBe('1');
    expect(r.metrics.filter((m) => m.kind === 'train')).toHaveLength(1);
  });

  it('chains an existing sitecustomize and can be turned off', () => {
    const userSite = tempDir('tb-usersite-');
    fs.writeFileSync(path.join(userSite, 'sitecustomize.py'), 'import os\nos.environ["USER_SITE_RAN"] = "yes"\n');
    const r = runPython('import os\nprint(os.environ.get("USER_SITE_RAN"))', [userSite]);
    expect(r.stdout.trim()).toBe('yes');
    const off = runPython('from transformers.trainer import Trainer\nTrainer().train()', [], { TUNEBENCH_DISABLE_HF_HOOK: '1' });
    expect(off.metrics).toEqual([]);
  });

  it('continues the sequence when a restarted process appends to the same file', () => {
    const r = runPython('import tunebench\ntunebench.log({"a": 1})\ntunebench.log({"a": float("nan")}, step=2)');
    const again = spawnSync('python3', ['-c', 'import tunebench\ntunebench.log({"a": 3})'], {
      cwd: r.dir,
      env: { ...process.env, PYTHONPATH: LIB, TUNEBENCH_METRICS_FILE: path.join(r.dir, 'metrics.jsonl') },
    });
    expect(again.status).toBe(0);
    const lines = fs
      .readFileSync(path.join(r.dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines[1].m.a).toBe('nan');
  });
});
