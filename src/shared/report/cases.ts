/// <reference lib="dom" />
// Case rows: one <details> per case whose summary is a grid row (id, kind, tags, change, scores) and
// whose body (input, expected, both outputs with a word diff) is built only when first opened, so a
// list of thousands costs one summary line each.
import type { CaseComparison, CaseKind, CaseRecord } from '../domain/testing';
import { badge, button, h, keyValues, mono, scrollArea, type Child } from './dom';
import { fmtDelta, fmtInt, fmtMs, fmtNumber, fmtScore } from './format';
import { countWords, sideOf, wordDiff, type DiffPart } from './word-diff';

/** What survives a re-render of the same root: which cases are open, how far each list was paged. */
export interface ViewState {
  open: Set<string>;
  shown: Map<string, number>;
  filter: string;
  change: string;
}

/** Rows added at a time; keeps a 10,000-case report at a few hundred DOM rows until asked for more. */
export const PAGE = 200;

export const CHANGE_LABEL: Record<CaseComparison['change'], string> = {
  regression: 'regression',
  'score-down': 'score down',
  improvement: 'improvement',
  'score-up': 'score up',
  same: 'same',
  missing: 'missing',
};

const EXPECT_LABEL: Partial<Record<CaseKind, string>> = {
  contains: 'Must contain',
  'not-contains': 'Must not contain',
  regex: 'Must match',
  choice: 'Right option',
  json: 'Schema',
  perplexity: 'Reference',
};

function scoreCell(rec: CaseRecord | null): HTMLElement {
  if (!rec) return h('span', 'tb-c-score tb-num tb-muted', 'missing');
  const text = rec.score !== null ? fmtScore(rec.score) : rec.pass === true ? 'pass' : rec.pass === false ? 'fail' : '—';
  const cls = rec.error ? 'tb-fail' : rec.pass === true ? 'tb-pass' : rec.pass === false ? 'tb-fail' : '';
  const cell = h('span', `tb-c-score tb-num ${cls}`.trim(), rec.error ? '⚠ ' : null, text);
  cell.title = rec.error ? `error: ${rec.error}` : rec.detail;
  return cell;
}

export function caseListHeader(): HTMLElement {
  const row = h(
    'div',
    'tb-case-row tb-case-head',
    h('span', null, 'Case'),
    h('span', null, 'Kind'),
    h('span', null, 'Tags'),
    h('span', null, 'Change'),
    h('span', 'tb-num', 'Baseline'),
    h('span', 'tb-num', 'Candidate'),
    h('span', 'tb-num', 'Δ'),
  );
  row.setAttribute('aria-hidden', 'true');
  return row;
}

export function caseRow(c: CaseComparison, listKey: string, state: ViewState): HTMLDetailsElement {
  const d = h('details', `tb-case tb-case-${c.change}`);
  d.dataset.caseId = c.caseId;
  d.dataset.change = c.change;
  const key = `${listKey}\u0000${c.caseId}`;
  d.appendChild(
    h(
      'summary',
      'tb-case-row',
      h(
        'span',
        'tb-c-id',
        mono(c.caseId),
        c.critical ? badge('critical', 'critical') : null,
        c.waived !== null ? badge('waived', 'waived') : null,
        c.waived !== null ? h('span', 'tb-waived-reason', `Waived: ${c.waived}`) : null,
      ),
      h('span', 'tb-c-kind', c.kind),
      h('span', 'tb-c-tags', ...c.tags.map((t) => h('span', 'tb-tag', t))),
      h('span', 'tb-c-change', badge(CHANGE_LABEL[c.change], `change-${c.change}`)),
      scoreCell(c.baseline),
      scoreCell(c.candidate),
      h('span', `tb-c-delta tb-num ${c.scoreDelta !== null && c.scoreDelta < 0 ? 'tb-fail' : c.scoreDelta ? 'tb-pass' : ''}`.trim(), fmtDelta(c.scoreDelta)),
    ),
  );
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    d.appendChild(caseBody(c));
  };
  d.addEventListener('toggle', () => {
    if (d.open) {
      fill();
      state.open.add(key);
    } else state.open.delete(key);
  });
  if (state.open.has(key)) {
    fill();
    d.open = true;
  }
  return d;
}

function pane(title: string, body: Child, cls = ''): HTMLElement {
  return h('div', `tb-pane ${cls}`.trim(), h('div', 'tb-pane-title', title), body);
}

function textBlock(label: string, text: string, parts?: DiffPart[] | null, keep?: 'del' | 'ins'): HTMLElement {
  const pre = scrollArea(h('pre', 'tb-text'), label);
  if (text === '' && !parts?.length) {
    pre.appendChild(h('span', 'tb-muted', '(empty)'));
    return pre;
  }
  if (!parts || !keep) {
    pre.textContent = text;
    return pre;
  }
  for (const p of sideOf(parts, keep)) pre.appendChild(p.op === 'same' ? document.createTextNode(p.text) : h(keep, `tb-${keep}`, p.text));
  return pre;
}

function recordPane(title: string, rec: CaseRecord | null, parts: DiffPart[] | null, keep: 'del' | 'ins'): HTMLElement {
  if (!rec) return pane(title, h('p', 'tb-empty', 'No answer recorded for this model.'), 'tb-pane-missing');
  const verdict = rec.pass === true ? badge('pass', 'outcome-pass') : rec.pass === false ? badge('fail', 'outcome-fail') : null;
  const meta = h(
    'div',
    'tb-rec-meta',
    verdict,
    h('span', null, `score ${fmtScore(rec.score)}`),
    h('span', null, `${fmtInt(rec.tokens)} ${rec.tokens === 1 ? 'token' : 'tokens'}`),
    h('span', null, fmtMs(rec.ms)),
  );
  const measures = Object.entries(rec.measures);
  return pane(
    title,
    h(
      'div',
      null,
      meta,
      textBlock(`${title}, ${rec.caseId}`, rec.output, parts, keep),
      rec.detail ? h('p', 'tb-detail', rec.detail) : null,
      rec.error !== null ? h('p', 'tb-error', h('strong', null, 'Error: '), rec.error) : null,
      measures.length
        ? keyValues(
            measures.map(([k, v]) => [k, fmtNumber(v)] as const),
            'tb-kv-compact',
          )
        : null,
    ),
    `tb-pane-${keep === 'del' ? 'baseline' : 'candidate'}`,
  );
}

function caseBody(c: CaseComparison): HTMLElement {
  const before = c.baseline?.output;
  const after = c.candidate?.output;
  let parts: DiffPart[] | null = null;
  let note: Child = null;
  if (before !== undefined && after !== undefined) {
    if (before === after) note = h('p', 'tb-diff-note', 'Both models gave the same output.');
    else {
      parts = wordDiff(before, after);
      note = parts
        ? h('p', 'tb-diff-note', 'Word diff: ', h('del', 'tb-del', 'removed'), ' in the baseline, ', h('ins', 'tb-ins', 'added'), ' in the candidate.')
        : h('p', 'tb-diff-note', `Outputs too long to diff word by word (${fmtInt(countWords(before))} and ${fmtInt(countWords(after))} words); shown as they are.`);
    }
  }
  const expected = c.expect.length ? c.expect.join('\n') : '';
  return h(
    'div',
    'tb-case-body',
    h(
      'div',
      'tb-pair',
      pane('Input', textBlock(`Input, ${c.caseId}`, c.input)),
      pane(
        EXPECT_LABEL[c.kind] ?? 'Expected',
        expected ? textBlock(`${EXPECT_LABEL[c.kind] ?? 'Expected'}, ${c.caseId}`, expected) : h('p', 'tb-empty', 'Nothing to match; scored by the model’s own numbers.'),
      ),
    ),
    note,
    h('div', 'tb-pair', recordPane('Baseline output', c.baseline, parts, 'del'), recordPane('Candidate output', c.candidate, parts, 'ins')),
  );
}

/** A list that shows PAGE rows and a button for the next PAGE, appending without rebuilding. */
export function pagedCaseList(listKey: string, cases: readonly CaseComparison[], state: ViewState, emptyText: string): HTMLElement {
  const wrap = h('div', 'tb-case-list');
  wrap.dataset.list = listKey;
  if (cases.length === 0) {
    wrap.appendChild(h('p', 'tb-empty', emptyText));
    return wrap;
  }
  const rows = h('div', 'tb-case-rows', caseListHeader());
  const footer = h('div', 'tb-list-footer');
  wrap.append(rows, footer);
  let shown = 0;
  const grow = (upTo: number) => {
    const end = Math.min(upTo, cases.length);
    const frag = document.createDocumentFragment();
    for (; shown < end; shown++) frag.appendChild(caseRow(cases[shown]!, listKey, state));
    rows.appendChild(frag);
    state.shown.set(listKey, shown);
    footer.replaceChildren(h('span', 'tb-muted', `Showing ${fmtInt(shown)} of ${fmtInt(cases.length)}`));
    if (shown < cases.length) {
      const next = Math.min(PAGE, cases.length - shown);
      footer.appendChild(button(`Show ${fmtInt(next)} more`, () => grow(shown + PAGE)));
    }
  };
  grow(Math.max(state.shown.get(listKey) ?? PAGE, PAGE));
  return wrap;
}
