// Property: the fast metrics-line scanner gives exactly the reference parser's answer (JSON.parse,
// then checks) for random lines of the common shape, of other shapes, and broken ones, wherever
// the line sits in a chunk's text.
import { describe, expect, it } from 'vitest';
import { parseMetricLine, scanMetricLine, scanStats } from '../../src/main/runs/metric-line';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

function numberText(rand: Rand): string {
  return pick(rand, [
    () => String(Math.floor(rand() * 1e6)),
    () => String(rand() * 10),
    () => String(-rand() * 1e-8),
    () => `${Math.floor(rand() * 10)}e${Math.floor(rand() * 40) - 20}`,
    () => `${(rand() * 10).toFixed(3)}E+${Math.floor(rand() * 5)}`,
    () => '1e999', // Infinity once parsed
    () => '-0',
    () => String(2 ** 53 + 2), // not a safe integer
    () => '0.1234567890123456789',
    () => '01', // not JSON
    () => '.5', // not JSON
    () => '1.', // not JSON
    () => '0x1f', // not JSON
    () => '-', // not JSON
  ])();
}

function valueText(rand: Rand): string {
  const r = rand();
  if (r < 0.6) return numberText(rand);
  return pick(rand, ['"nan"', '"NaN"', '"-Infinity"', '"inf"', '"hello"', '""', 'null', 'true', 'false', '[1]', '{"a":1}', '"a\\"b"', 'nul']);
}

function nameText(rand: Rand): string {
  return pick(rand, ['loss', 'eval_loss', 'lr', 'grad_norm', 'tokens', 'élan', '0', '12', '1a', '', 'x'.repeat(201), 'a\\nb', 'sp ace', '__proto__']);
}

/** Half the lines are of the common shape (our SDK's), the others anything. */
function line(rand: Rand): string {
  if (rand() < 0.5) {
    const sp = rand() < 0.5 ? ' ' : '';
    const names = ['loss', 'lr', 'grad_norm', 'epoch'].slice(0, 1 + Math.floor(rand() * 4));
    const m = names.map((n) => `"${n}":${sp}${rand() < 0.1 ? '"nan"' : String(rand() * 3)}`).join(`,${sp}`);
    const step = rand() < 0.1 ? 'null' : String(Math.floor(rand() * 1e5));
    return `{"seq":${sp}${1 + Math.floor(rand() * 1e6)},${sp}"ts":${sp}${1.7e9 + rand() * 1e6},${sp}"step":${sp}${step},${sp}"kind":${sp}"train",${sp}"m":${sp}{${m}}}`;
  }
  const sp = () => (rand() < 0.5 ? ' ' : '');
  const pairs: string[] = [];
  const n = Math.floor(rand() * 4) + (rand() < 0.9 ? 1 : 0);
  for (let i = 0; i < n; i++) pairs.push(`"${nameText(rand)}":${sp()}${valueText(rand)}`);
  const fields: [string, string][] = [
    ['seq', rand() < 0.9 ? String(Math.floor(rand() * 1000)) : valueText(rand)],
    ['ts', rand() < 0.9 ? String(1.7e9 + rand() * 1e6) : valueText(rand)],
    ['step', rand() < 0.8 ? String(Math.floor(rand() * 1e5)) : valueText(rand)],
    ['kind', rand() < 0.8 ? pick(rand, ['"train"', '"eval"', '"sys"', '"a very long kind name indeed"']) : valueText(rand)],
    ['m', rand() < 0.95 ? `{${pairs.join(`,${sp()}`)}}` : valueText(rand)],
  ];
  if (rand() < 0.15) fields.sort(() => rand() - 0.5); // another field order
  if (rand() < 0.1) fields.splice(Math.floor(rand() * fields.length), 1); // a missing field
  if (rand() < 0.1) fields.push(['extra', valueText(rand)]);
  if (rand() < 0.05) fields.push(['m', '{"loss": 1}']); // "m" twice
  let text = `{${fields.map(([k, v]) => `"${k}":${sp()}${v}`).join(`,${sp()}`)}}`;
  const r = rand();
  if (r < 0.05)
    text = text.slice(0, Math.floor(rand() * text.length)); // cut short
  else if (r < 0.1) text += pick(rand, [' ', '\r', 'x', '}', ',']);
  else if (r < 0.15) {
    const at = Math.floor(rand() * text.length);
    text = text.slice(0, at) + pick(rand, ['"', ',', ':', '{', '}', ' ', '\\', '\t', '[']) + text.slice(at);
  }
  return text;
}

describe('the metrics-line scanner', () => {
  it('agrees with the reference parser on 20,000 random lines, at any place in a chunk', () => {
    const rand = rng(2026);
    let good = 0;
    const before = scanStats.referenceLines;
    for (let i = 0; i < 20_000; i++) {
      const text = line(rand);
      const prefix = rand() < 0.5 ? '{"seq":1}\n' : '';
      const chunk = `${prefix}${text}\n{"seq": 2, "ts": 3}`;
      const expected = parseMetricLine(text);
      expect(scanMetricLine(chunk, prefix.length, prefix.length + text.length), text).toEqual(expected);
      if (expected) good++;
    }
    // Plenty of good lines, and most lines took the fast path (so it is the fast path being checked).
    expect(good).toBeGreaterThan(10_000);
    expect(scanStats.referenceLines - before).toBeLessThan(11_000);
    expect(scanStats.referenceLines - before).toBeGreaterThan(5_000);
  });

  it('reads the shapes our SDK and the Trainer hook write', () => {
    const python = '{"seq": 7, "ts": 1764236400.123456, "step": null, "kind": "eval", "m": {"eval_loss": 1.25, "epoch": 0.5, "note": "x", "loss": "nan"}}';
    expect(scanMetricLine(python, 0, python.length)).toEqual({
      seq: 7,
      ts: 1764236400.123456,
      step: null,
      kind: 'eval',
      values: [
        ['eval_loss', 1.25],
        ['epoch', 0.5],
        ['loss', null],
      ],
    });
  });
});
