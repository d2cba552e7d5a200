/// <reference lib="dom" />
// The top of the report: the verdict with its reason and what was compared, then the gate table
// with the non-inferiority interval drawn, because a reviewer decides from these two first.
import type { Gate, GatePolicy, TestReport } from '../domain/testing';
import { badge, h, mono, scrollArea, section, type Child } from './dom';
import { fmtGateNumber, fmtInt, fmtScore, fmtTime } from './format';

const SVG = 'http://www.w3.org/2000/svg';

export function renderHeader(report: TestReport): HTMLElement {
  const { testRun, suite, comparison } = report;
  const label = (role: string) => report.models.find((m) => m.role === role)?.label ?? '—';
  const verdict = h('span', `tb-verdict tb-verdict-${comparison.verdict.toLowerCase()}`, comparison.verdict);
  verdict.setAttribute('role', 'status');
  // Not ended yet means cases may still arrive; the app re-renders as they do.
  const running = testRun.endedAt == null;
  const { done, total } = testRun.progress;
  const progress = h('span', 'tb-progress', h('span', 'tb-progress-text', `${fmtInt(done)} / ${fmtInt(total)} answers`));
  if (running) {
    const bar = h('progress', 'tb-progress-bar');
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done, bar.max);
    progress.prepend(bar);
  }
  const c = comparison.counts;
  const chip = (n: number, what: string, kind = '') => h('span', `tb-chip ${kind}`.trim(), h('strong', null, fmtInt(n)), ` ${what}`);
  return h(
    'header',
    'tb-header',
    h('div', 'tb-verdict-row', verdict, h('p', 'tb-reason', comparison.reason)),
    h('h1', 'tb-title', h('span', null, testRun.project.name), h('span', 'tb-sep', ' · '), h('span', 'tb-suite', `${suite.name}@${suite.version}`)),
    h(
      'p',
      'tb-versus',
      h('span', 'tb-role', 'Candidate'),
      ' ',
      h('strong', 'tb-model-label', label('candidate')),
      h('span', 'tb-vs', ' vs '),
      h('span', 'tb-role', 'Baseline'),
      ' ',
      h('strong', 'tb-model-label', label('baseline')),
    ),
    h(
      'p',
      'tb-runline',
      badge(testRun.status, running ? 'status-running' : 'status'),
      progress,
      h('span', 'tb-muted', `started ${fmtTime(testRun.createdAt)}`),
      testRun.endedAt != null ? h('span', 'tb-muted', `ended ${fmtTime(testRun.endedAt)}`) : null,
      h('span', 'tb-muted', `on ${testRun.host}`),
    ),
    h(
      'p',
      'tb-chips',
      chip(c.cases, 'cases'),
      chip(c.answered, 'answered by both'),
      chip(c.regressions, c.regressions === 1 ? 'regression' : 'regressions', c.regressions ? 'tb-chip-bad' : ''),
      chip(c.improvements, c.improvements === 1 ? 'improvement' : 'improvements', c.improvements ? 'tb-chip-good' : ''),
      chip(c.waived, 'waived'),
    ),
  );
}

export function renderGates(report: TestReport): HTMLElement {
  const { gates } = report.comparison;
  if (gates.length === 0) return section('gates', 'Gates', h('p', 'tb-empty', 'No gates were computed yet.'));
  const tbody = h('tbody');
  for (const g of gates) {
    const numbers: Child[] = [];
    const interval = g.id === 'non-inferiority' ? intervalSvg(g, report.policy) : null;
    if (interval) numbers.push(interval);
    const entries = Object.entries(g.numbers);
    // Inline pairs that wrap, so a gate with ten numbers is two lines, not ten.
    if (entries.length) numbers.push(h('div', 'tb-gate-nums', ...entries.map(([k, v]) => h('span', 'tb-gate-num', h('span', 'tb-muted', k), ' ', fmtGateNumber(k, v)))));
    tbody.appendChild(
      h(
        'tr',
        `tb-gate tb-gate-${g.outcome}`,
        h('td', null, h('div', 'tb-gate-title', g.title), mono(g.id, 'tb-muted')),
        h('td', null, badge(g.outcome, `outcome-${g.outcome}`)),
        h('td', 'tb-gate-summary', g.summary),
        h('td', 'tb-gate-numbers', ...numbers),
      ),
    );
  }
  const head = h('thead', null, h('tr', null, h('th', null, 'Gate'), h('th', null, 'Outcome'), h('th', null, 'Why'), h('th', null, 'Numbers')));
  return section('gates', 'Gates', scrollArea(h('div', 'tb-table-wrap', h('table', 'tb-table tb-gates', head, tbody)), 'Gates table'));
}

function pick(numbers: Gate['numbers'], keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = numbers[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * The interval of (candidate - baseline) against 0 and the margin -delta, so "how close to the
 * line" reads at a glance. Reads lower/upper/estimate/delta from the gate's numbers (a few
 * spellings accepted), the margin falling back to the policy's.
 */
export function intervalSvg(gate: Gate, policy: GatePolicy): SVGSVGElement | null {
  const n = gate.numbers;
  const lo = pick(n, ['lower', 'ciLower', 'ci_lower', 'lowerBound', 'low', 'lo']);
  const hi = pick(n, ['upper', 'ciUpper', 'ci_upper', 'upperBound', 'high', 'hi']);
  if (lo === null || hi === null) return null;
  const est = pick(n, ['estimate', 'diff', 'difference', 'meanDiff', 'mean_diff', 'mean', 'observed']);
  const delta = pick(n, ['delta', 'margin']) ?? policy.delta;
  const conf = pick(n, ['confidence', 'level']) ?? policy.confidence;

  const W = 240;
  const H = 40;
  const pad = 12;
  let min = Math.min(lo, -delta, 0, est ?? 0);
  let max = Math.max(hi, 0, est ?? 0);
  const span = max - min || 1;
  min -= span * 0.08;
  max += span * 0.08;
  const x = (v: number) => pad + ((v - min) / (max - min)) * (W - 2 * pad);
  const svg = document.createElementNS(SVG, 'svg');
  const attrs = (el: Element, a: Record<string, string | number>) => {
    for (const [k, v] of Object.entries(a)) el.setAttribute(k, String(v));
    return el;
  };
  const add = (tag: string, a: Record<string, string | number>, text?: string) => {
    const el = attrs(document.createElementNS(SVG, tag), a);
    if (text !== undefined) el.textContent = text;
    svg.appendChild(el);
    return el;
  };
  attrs(svg, { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'tb-interval', role: 'img' });
  const desc =
    `${Math.round(conf * 100)}% interval of candidate − baseline: [${fmtScore(lo)}, ${fmtScore(hi)}]` + (est !== null ? `, estimate ${fmtScore(est)}` : '') + `; margin −δ = ${fmtScore(-delta)}`;
  svg.setAttribute('aria-label', desc);
  add('title', {}, desc);
  const axisY = 18;
  add('line', { x1: pad, x2: W - pad, y1: axisY, y2: axisY, class: 'tb-iv-axis' });
  add('line', { x1: x(-delta), x2: x(-delta), y1: 4, y2: 30, class: 'tb-iv-margin' });
  add('line', { x1: x(0), x2: x(0), y1: 4, y2: 30, class: 'tb-iv-zero' });
  // Coloured by the gate's outcome: all above -delta passes, all below fails, straddling is undecided.
  add('rect', { x: x(lo), y: axisY - 4, width: Math.max(x(hi) - x(lo), 2), height: 8, rx: 3, class: `tb-iv-bar tb-iv-${gate.outcome}` });
  if (est !== null) add('circle', { cx: x(est), cy: axisY, r: 4, class: 'tb-iv-est' });
  // Labels under the two reference lines, pushed apart when they would overlap.
  let lx = x(-delta);
  let zx = x(0);
  if (zx - lx < 26) {
    const mid = (lx + zx) / 2;
    lx = mid - 13;
    zx = mid + 13;
  }
  add('text', { x: lx, y: H - 1, 'text-anchor': 'middle', class: 'tb-iv-label' }, '−δ');
  add('text', { x: zx, y: H - 1, 'text-anchor': 'middle', class: 'tb-iv-label' }, '0');
  return svg;
}
