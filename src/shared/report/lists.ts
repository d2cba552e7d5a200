/// <reference lib="dom" />
// The case sections: regressions, then improvements (the order a reviewer triages in), and the full
// list with a text filter and a change filter that stays fast at 10,000 cases.
import type { CaseComparison, TestReport } from '../domain/testing';
import { h, section } from './dom';
import { CHANGE_LABEL, PAGE, pagedCaseList, type ViewState } from './cases';
import { fmtInt } from './format';

const CHANGE_ORDER: ReadonlyArray<CaseComparison['change']> = ['regression', 'score-down', 'improvement', 'score-up', 'same', 'missing'];

/** Pass -> fail first, then score drops, each in the comparison's order (biggest drops first). */
export function regressionsOf(cases: readonly CaseComparison[]): CaseComparison[] {
  return [...cases.filter((c) => c.change === 'regression'), ...cases.filter((c) => c.change === 'score-down')];
}

export function improvementsOf(cases: readonly CaseComparison[]): CaseComparison[] {
  return [...cases.filter((c) => c.change === 'improvement'), ...cases.filter((c) => c.change === 'score-up')];
}

export function renderRegressions(report: TestReport, state: ViewState): HTMLElement {
  const list = regressionsOf(report.comparison.cases);
  return section('regressions', `Regressions (${fmtInt(list.length)})`, pagedCaseList('regressions', list, state, 'No case got worse: nothing the baseline passed fails, and no score dropped.'));
}

export function renderImprovements(report: TestReport, state: ViewState): HTMLElement {
  const list = improvementsOf(report.comparison.cases);
  return section('improvements', `Improvements (${fmtInt(list.length)})`, pagedCaseList('improvements', list, state, 'No case got better.'));
}

export function renderAllCases(report: TestReport, state: ViewState): HTMLElement {
  const cases = report.comparison.cases;
  // Lower-cased once per render so each keystroke is one substring scan per case.
  const haystacks = cases.map((c) => `${c.caseId}\n${c.tags.join('\n')}`.toLowerCase());
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.change, (counts.get(c.change) ?? 0) + 1);

  const search = h('input', 'tb-input');
  search.type = 'search';
  search.placeholder = 'Filter by case id or tag';
  search.value = state.filter;
  search.setAttribute('aria-label', 'Filter cases by id or tag');
  search.dataset.role = 'case-filter';
  const select = h('select', 'tb-select');
  select.setAttribute('aria-label', 'Filter cases by change');
  select.dataset.role = 'change-filter';
  select.appendChild(new Option(`All changes (${fmtInt(cases.length)})`, ''));
  for (const ch of CHANGE_ORDER) {
    const n = counts.get(ch) ?? 0;
    if (n) select.appendChild(new Option(`${CHANGE_LABEL[ch]} (${fmtInt(n)})`, ch));
  }
  if (!counts.has(state.change)) state.change = '';
  select.value = state.change;
  const status = h('span', 'tb-muted tb-filter-status');
  status.setAttribute('aria-live', 'polite');
  const holder = h('div');

  const apply = () => {
    const q = state.filter.trim().toLowerCase();
    const change = state.change;
    const matched: CaseComparison[] = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      if (change && c.change !== change) continue;
      if (q && !haystacks[i]!.includes(q)) continue;
      matched.push(c);
    }
    status.textContent = matched.length === cases.length ? `${fmtInt(cases.length)} cases` : `${fmtInt(matched.length)} of ${fmtInt(cases.length)} cases match`;
    holder.replaceChildren(pagedCaseList('all', matched, state, 'No case matches the filter.'));
  };
  search.addEventListener('input', () => {
    state.filter = search.value;
    state.shown.set('all', PAGE);
    apply();
  });
  select.addEventListener('change', () => {
    state.change = select.value;
    state.shown.set('all', PAGE);
    apply();
  });
  apply();
  return section('cases', 'All cases', h('div', 'tb-filters', search, select, status), holder);
}
