// The runs table's default columns: what differs among the runs shown, as many as the table's width fits.
import { describe, expect, it } from 'vitest';
import type { TableRowOut } from '../../src/shared/domain/runs-table';
import { allColumns, defaultColumns, fitColumns } from '../../src/renderer/features/runs/run-columns';

const meta = {
  params: ['alpha', 'batch_size', 'lr', 'model', 'rank', 'seed', 'steps'],
  metrics: ['eval_loss', 'loss'],
  varies: ['recipe', 'host', 'params.lr', 'params.model', 'params.rank', 'params.seed', 'params.batch_size'],
};
const row = (i: number): TableRowOut => ({
  id: `01JAAAAAAAAAAAAAAAAAAAAA${String(i).padStart(2, '0')}`,
  name: `brave-otter-${i}`,
  projectId: '01JPROJECT0000000000000000',
  projectName: 'llama-sft',
  status: 'SUCCEEDED',
  recipe: i % 2 ? 'hf-sft' : 'demo-lora-torch',
  hostName: i % 2 ? 'gpu-box-1' : 'local',
  createdAt: 0,
  endedAt: null,
  exitCode: 0,
  disconnected: false,
  params: { lr: 2e-4, model: 'meta-llama/Llama-3.1-8B-Instruct', rank: 16, seed: i, batch_size: 8 },
  tags: [],
  notes: '',
  summaries: { eval_loss: { min: 1.2345, max: 2, last: 1.3 }, loss: { min: 0.9, max: 3, last: 1 } },
});

describe('default columns', () => {
  it('take the objective, the fields and at most four parameters that differ, never one most runs lack', () => {
    const keys = defaultColumns(meta, { allProjects: true, objective: { metric: 'loss', goal: 'minimize' } });
    expect(keys).toEqual(['project', 'status', 'recipe', 'host', 'loss.min', 'eval_loss.min', 'params.lr', 'params.model', 'params.rank', 'params.seed', 'created', 'tags', 'notes']);
    expect(keys).not.toContain('params.alpha');
  });

  it('drop parameters from the last, then host and recipe, until they fit the width of the table', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(i + 1));
    const all = allColumns(meta);
    const keys = defaultColumns(meta, { allProjects: false, objective: undefined });
    expect(fitColumns(keys, all, rows, 5000)).toEqual(keys);
    const at1440 = fitColumns(keys, all, rows, 1174);
    expect(at1440.length).toBeLessThan(keys.length);
    expect(at1440).toEqual(keys.filter((k) => at1440.includes(k))); // in the same order
    expect(at1440).toContain('params.lr'); // the first parameters stay; the last went first
    expect(keys.filter((k) => !at1440.includes(k)).every((k) => k.startsWith('params.'))).toBe(true);
    const narrow = fitColumns(keys, all, rows, 700);
    expect(narrow).toEqual(['status', 'eval_loss.min', 'created', 'tags', 'notes']);
  });
});
