// The default columns with long tags, long notes and a wide parameter: what fits 1440 px is chosen by
// what is most wanted, each cell's width bounded (tags: two chips and "+k"; notes: their first 120 px).
import { describe, expect, it } from 'vitest';
import type { TableRowOut } from '../../src/shared/domain/runs-table';
import { allColumns, defaultColumns, fitColumns } from '../../src/renderer/features/runs/run-columns';

const meta = { params: ['base_model', 'lr', 'rank', 'seed'], metrics: ['eval_loss', 'loss'], varies: ['params.base_model', 'params.lr', 'params.rank', 'params.seed'] };
const row = (i: number, extra: Partial<TableRowOut> = {}): TableRowOut => ({
  id: `01JAAAAAAAAAAAAAAAAAAAAA${String(i).padStart(2, '0')}`,
  name: `a rather long human readable run name number ${i}`,
  projectId: '01JPROJECT0000000000000000',
  projectName: 'demo',
  status: 'SUCCEEDED',
  recipe: 'demo-lora-torch',
  hostName: 'local',
  createdAt: 0,
  endedAt: null,
  exitCode: 0,
  disconnected: false,
  params: { base_model: `meta-llama/Llama-3.1-${i}B-Instruct-with-a-long-suffix`, lr: 1e-4 * i, rank: 4 * i, seed: i },
  tags: [],
  notes: '',
  summaries: { eval_loss: { min: 1.2345, max: 2, last: 1.3 }, loss: { min: 0.9, max: 3, last: 1 } },
  ...extra,
});
const TAGS = ['baseline-before-tokenizer-change', 'ablation-without-warmup-schedule', 'needs-review', 'golden'];
const keys = defaultColumns(meta, { allProjects: false, objective: undefined });
const all = allColumns(meta);

describe('default columns that fit', () => {
  it('pass over a wide parameter for narrower ones after it', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1));
    const fit = fitColumns(keys, all, rows, 1100);
    expect(fit).not.toContain('params.base_model');
    expect(fit).toEqual(expect.arrayContaining(['params.lr', 'params.rank']));
    expect(fit).toEqual(keys.filter((k) => fit.includes(k))); // in the same order
  });

  it('count long tags and notes at their bounded widths, keeping the first parameter before the second metric', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, { tags: TAGS, notes: 'x '.repeat(200), params: { lr: 1e-4 * i, rank: 4 * i, seed: i, base_model: 'm' } }));
    expect(fitColumns(keys, all, rows, 5000)).toEqual(keys);
    const fit = fitColumns(keys, all, rows, 1175);
    expect(fit).toEqual(expect.arrayContaining(['status', 'eval_loss.min', 'params.base_model', 'created', 'tags', 'notes']));
    expect(fit).not.toContain('loss.min');
    // Too narrow for any: the columns that always stay, tags and notes among them.
    expect(fitColumns(keys, all, rows, 700)).toEqual(['status', 'eval_loss.min', 'created', 'tags', 'notes']);
  });
});
