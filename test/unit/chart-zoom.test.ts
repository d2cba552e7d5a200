// The chart pieces that decide what is drawn: the zoom window's arithmetic (anchored at the cursor,
// any depth), the outlier-robust y range, curve colours, the run page's panels, and the window
// query's refusal of a null bound in plain words.
import { describe, expect, it } from 'vitest';
import { zoomAbout, panBy, isFull } from '../../src/renderer/charts/zoom';
import { robustRange, robustRangeOfFinite, offScaleMarks } from '../../src/renderer/charts/y-range';
import { bandsByDefault, fromWindow, xLabel, type Curve } from '../../src/renderer/charts/line-chart';
import { curveStyles, PALETTE } from '../../src/renderer/features/compare/colors';
import { panelsFor } from '../../src/renderer/features/runs/run-panels';
import { WindowInput } from '../../src/shared/domain/metrics';

const full = { from: 1, to: 1_000_000 };

describe('zoom window', () => {
  it('keeps the point under the cursor in place through 20 zooms in, down to a single step', () => {
    let win = { ...full };
    const anchor = 123_456.7;
    const fraction = (anchor - win.from) / (win.to - win.from);
    for (let i = 0; i < 20; i++) {
      win = zoomAbout(win, win.from + fraction * (win.to - win.from), 0.5, full);
      expect((anchor - win.from) / (win.to - win.from)).toBeCloseTo(fraction, 9);
    }
    expect(win.to - win.from).toBeLessThan(1);
    expect(win.to - win.from).toBeGreaterThan(0);
  });

  it('stops zooming out at the data, and pans inside it', () => {
    const win = zoomAbout({ from: 10, to: 20 }, 12, 1e9, full);
    expect(win).toEqual(full);
    expect(isFull(win, full)).toBe(true);
    expect(panBy({ from: 10, to: 110 }, -1000, full)).toEqual({ from: 1, to: 101 });
    expect(panBy({ from: 10, to: 110 }, 2e6, full)).toEqual({ from: 999_900, to: 1_000_000 });
  });
});

describe('outlier-robust y range', () => {
  const curve = Array.from({ length: 1000 }, (_, i) => 0.8 + 2.2 * Math.exp(-i / 160) + ((i * 7919) % 100) / 2500);

  it('leaves a smooth curve with a steep start alone', () => {
    const r = robustRange(curve)!;
    expect(r.min).toBe(Math.min(...curve));
    expect(r.max).toBe(Math.max(...curve));
  });

  it('keeps the steep first points of 1/step', () => {
    const r = robustRange(Array.from({ length: 50 }, (_, i) => 1 / (i + 1)))!;
    expect(r.max).toBe(1);
  });

  it('finds the same range as sorting every value (quickselect), on random values with ties, spikes and log scale', () => {
    // The range as it was worked out before quickselect: sort, then read the ranks.
    const bySorting = (values: number[], log: boolean) => {
      const kept = values.filter((v) => Number.isFinite(v) && (!log || v > 0)).map((v) => (log ? Math.log10(v) : v));
      const sorted = Float64Array.from(kept).sort();
      const rank = (q: number) => sorted[q < 0.5 ? Math.ceil((sorted.length - 1) * q) : Math.floor((sorted.length - 1) * q)]!;
      const [lowest, highest, lo, hi] = [sorted[0]!, sorted[sorted.length - 1]!, rank(0.005), rank(0.995)];
      const spread = hi - lo;
      const back = (v: number) => (log ? 10 ** v : v);
      return { min: back(spread > 0 && lo - lowest > spread * 2 ? lo - spread * 0.05 : lowest), max: back(spread > 0 && highest - hi > spread * 2 ? hi + spread * 0.05 : highest) };
    };
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * (trial < 100 ? 20 : 3000));
      const values = Array.from({ length: n }, () => {
        const r = random();
        return r < 0.01 ? 50 + random() * 1000 : r < 0.02 ? -50 : r < 0.03 ? NaN : r < 0.3 ? Math.round(random() * 4) / 4 : 1 + random();
      });
      for (const log of [false, true]) {
        const expected = values.some((v) => Number.isFinite(v) && (!log || v > 0)) ? bySorting(values, log) : null;
        expect(robustRange(values, log), `trial ${trial}, ${n} values, log ${log}`).toEqual(expected);
      }
      // The same for values known finite, with their extremes given (as a chart's own are).
      const finite = values.filter(Number.isFinite);
      const extremes = [Math.min(...finite), Math.max(...finite)] as const;
      expect(robustRangeOfFinite(Float64Array.from(finite), ...extremes), `trial ${trial}, finite`).toEqual(finite.length ? bySorting(values, false) : null);
    }
  });

  it('cuts a one-point spike off the top, and marks it', () => {
    const spiked = [...curve];
    spiked[500] = 26;
    const r = robustRange(spiked)!;
    expect(r.max).toBeLessThan(4);
    const marks = offScaleMarks([{ points: spiked.map((v, i) => [i, v] as const), color: '#000' }], r);
    expect(marks).toEqual([{ x: 500, value: 26, color: '#000', above: true }]);
  });
});

describe('drawing window answers', () => {
  it('spans each bucket edge to edge, and labels x with whole steps', () => {
    const answer = fromWindow(
      { kind: 'buckets', total: 10, buckets: [{ count: 5, n: 5, min: 1, max: 9, sum: 20, first: 1, last: 2, firstStep: 10, lastStep: 14, firstTs: 0, lastTs: 1, firstIdx: 0, lastIdx: 4 }] },
      (step, idx) => step ?? idx,
    );
    expect(answer.items).toEqual([[12, 4, 5, 10, 14]]);
    expect(answer.xs).toEqual({ from: 10, to: 14 });
    expect(xLabel(answer.items[0], true, false)).toBe('steps 10–14 (5 points)');
    expect(xLabel([12416.5, 1, 1, 12416.5, 12416.5], true, false)).toBe('step 12,417');
  });

  it('turns bands off by default for more than three curves', () => {
    const c = (name: string): Curve => ({
      name,
      color: '#000',
      items: [[0, 1, 1, 0, 0]],
      band: [
        [0, 0.9, 1.1],
        [10, 0.9, 1.1],
      ],
    });
    expect(bandsByDefault([c('a'), c('b'), c('c')], { min: 0, max: 10 }, { from: 0, to: 10 })).toBe(true);
    expect(bandsByDefault([c('a'), c('b'), c('c'), c('d')], { min: 0, max: 10 }, { from: 0, to: 10 })).toBe(false);
    // One band covering most of the plot is off too.
    expect(bandsByDefault([c('a')], { min: 0.95, max: 1.05 }, { from: 0, to: 10 })).toBe(false);
  });
});

describe('curve colours', () => {
  it('gives neighbours different colours and a seed group one colour', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const plain = curveStyles(ids);
    expect(new Set(ids.map((id) => plain.get(id)!.color)).size).toBe(5);
    const grouped = curveStyles(ids, [['a', 'c', 'e'], ['b'], ['d']]);
    expect(grouped.get('c')).toEqual(grouped.get('a'));
    expect(grouped.get('e')).toEqual(grouped.get('a'));
    expect(grouped.get('b')!.color).not.toBe(grouped.get('a')!.color);
    expect(grouped.get('d')!.color).toBe(PALETTE[2]);
  });

  it('draws the second round of the palette dashed', () => {
    const ids = Array.from({ length: PALETTE.length + 1 }, (_, i) => `r${i}`);
    const styles = curveStyles(ids);
    expect(styles.get(`r${PALETTE.length}`)).toEqual({ color: PALETTE[0], lineType: 'dashed' });
  });
});

describe('run page panels', () => {
  const s = (name: string, stream = 'metrics') => ({ name, stream, kind: 'scalar', points: 1, min: null, minStep: null, max: null, maxStep: null, last: null, lastStep: null });
  it('gives every metric a panel, grouped by prefix', () => {
    const panels = panelsFor([s('loss'), s('eval_loss'), s('train/acc'), s('eval/bleu'), s('custom/x'), s('gpu0.util', 'sys'), s('gpu1.util', 'sys'), s('cpu', 'sys'), s('tokens')]);
    expect(panels.map((p) => [p.group, p.title])).toEqual([
      ['train', 'Loss'],
      ['train', 'Tokens/s'],
      ['train', 'train/acc'],
      ['eval', 'eval/bleu'],
      ['sys', 'cpu'],
      ['sys', 'GPU utilization'],
      ['custom', 'custom/x'],
    ]);
    expect(panels[0]!.names.map((n) => n.name)).toEqual(['loss', 'eval_loss']);
  });
});

describe('metrics.window input', () => {
  it('refuses a null bound in plain words', () => {
    const r = WindowInput.safeParse({ runId: 'r', name: 'loss', maxBuckets: 10, from: null });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/start must be a number.*leave "from" out/);
  });
});
