// The offline report's colours, read from its stylesheet: every text colour on every background it is
// drawn on reaches 4.5:1 (WCAG AA for body text), in the light scheme and in the dark one.
import { describe, expect, it } from 'vitest';
import { REPORT_CSS } from '../../src/shared/report/report-css';

/** The custom properties of a block: `--tb-ok: #237a36;` -> { ok: '#237a36' }. */
function variables(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--tb-([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1]!, m[2]!]));
}

const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
};
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

const light = variables(REPORT_CSS.slice(0, REPORT_CSS.indexOf('@media (prefers-color-scheme: dark)')));
const dark = { ...light, ...variables(REPORT_CSS.slice(REPORT_CSS.indexOf('@media (prefers-color-scheme: dark)'), REPORT_CSS.indexOf('.tb-report *,'))) };

/** Text colour -> the backgrounds it is drawn on (its soft tint, the page, the cards, the hovered row, the diff marks). */
const PAIRS: [string, string[]][] = [
  ['text', ['bg', 'surface', 'surface-2', 'ins', 'del', 'accent-soft', 'ok-soft', 'bad-soft', 'warn-soft']],
  ['muted', ['bg', 'surface', 'surface-2']],
  ['accent', ['bg', 'surface', 'surface-2', 'accent-soft']],
  ['ok', ['bg', 'surface', 'surface-2', 'ok-soft']],
  ['bad', ['bg', 'surface', 'surface-2', 'bad-soft']],
  ['warn', ['bg', 'surface', 'surface-2', 'warn-soft']],
  ['verdict-fg', ['pass-bg', 'fail-bg']],
];

describe('the report file colours', () => {
  for (const [scheme, vars] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`reach 4.5:1 for every text on its backgrounds, ${scheme}`, () => {
      const low: string[] = [];
      for (const [fg, bgs] of PAIRS) for (const bg of bgs) if (contrast(vars[fg]!, vars[bg]!) < 4.5) low.push(`${fg} ${vars[fg]} on ${bg} ${vars[bg]}: ${contrast(vars[fg]!, vars[bg]!).toFixed(2)}`);
      expect(Object.keys(vars).length).toBeGreaterThan(15);
      expect(low).toEqual([]);
    });
  }
  it('the inconclusive verdict keeps its dark text on amber', () => {
    expect(REPORT_CSS).toMatch(/\.tb-verdict-inconclusive \{[^}]*color: #1c2430/);
    expect(contrast('#1c2430', light['inconclusive-bg']!)).toBeGreaterThanOrEqual(4.5);
  });
});
