/// <reference lib="dom" />
// Renders a TestReport into a root element with plain DOM calls: the app calls it into a div (again
// as cases arrive) and the offline HTML file calls it on load. No framework, so both get one renderer.
import type { TestReport } from '../domain/testing';
import type { ViewState } from './cases';
import { renderProvenance, renderPerf, renderTags } from './details';
import { h } from './dom';
import { renderAllCases, renderImprovements, renderRegressions } from './lists';
import { renderGates, renderHeader } from './summary';

export { REPORT_CSS } from './report-css';

// What the reader did (opened cases, typed a filter, paged a list) survives the app re-rendering the
// same root as new cases arrive; keyed weakly so a discarded root takes its state with it.
const states = new WeakMap<HTMLElement, ViewState>();

export function renderReport(root: HTMLElement, report: TestReport): void {
  let state = states.get(root);
  if (!state) states.set(root, (state = { open: new Set(), shown: new Map(), filter: '', change: '' }));

  // Keep the caret in the filter box when a re-render replaces it under the reader's fingers.
  const active = root.ownerDocument.activeElement;
  const focused = active instanceof HTMLElement && root.contains(active) ? active.dataset.role : undefined;
  const selection = active instanceof HTMLInputElement ? ([active.selectionStart, active.selectionEnd] as const) : null;

  root.classList.add('tb-report');
  const frag = root.ownerDocument.createDocumentFragment();
  try {
    frag.append(
      renderHeader(report),
      renderGates(report),
      renderRegressions(report, state),
      renderImprovements(report, state),
      renderTags(report),
      renderAllCases(report, state),
      renderPerf(report),
      renderProvenance(report),
    );
  } catch (err) {
    // A report from a newer or broken writer: say so instead of leaving a half-drawn page.
    const message = err instanceof Error ? err.message : String(err);
    root.replaceChildren(h('p', 'tb-load-error', `This report could not be displayed: ${message}`));
    throw err;
  }
  root.replaceChildren(frag);

  if (focused) {
    const again = root.querySelector<HTMLElement>(`[data-role="${focused}"]`);
    again?.focus();
    if (again instanceof HTMLInputElement && selection && selection[0] !== null && selection[1] !== null) again.setSelectionRange(selection[0], selection[1]);
  }
}
