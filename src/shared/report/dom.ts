/// <reference lib="dom" />
// Tiny DOM builders for the report. Every string goes in as a text node: outputs are untrusted model
// text, so nothing here ever parses HTML (no innerHTML, no insertAdjacentHTML, no style attributes).

export type Child = Node | string | number | null | undefined | false;

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** document.createElement with a class and children; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  append(el, children);
  return el;
}

export function section(id: string, title: string, ...children: Child[]): HTMLElement {
  const s = h('section', 'tb-section', h('h2', null, title), ...children);
  s.dataset.section = id;
  s.setAttribute('aria-label', title);
  return s;
}

export function badge(text: string, kind: string): HTMLElement {
  return h('span', `tb-badge tb-${kind}`, text);
}

/** A two-column key/value list; values may be nodes (a digest in monospace, a badge). */
export function keyValues(rows: ReadonlyArray<readonly [string, Child]>, cls = ''): HTMLDListElement {
  const dl = h('dl', `tb-kv ${cls}`.trim());
  for (const [k, v] of rows) append(dl, [h('dt', null, k), h('dd', null, v)]);
  return dl;
}

export function mono(text: string, cls = ''): HTMLElement {
  return h('code', `tb-mono ${cls}`.trim(), text);
}

/**
 * A box that scrolls (a wide table, a long output) as a keyboard reaches it: one Tab stop, named for
 * screen readers, so arrow keys scroll what a mouse would (the stylesheet draws its focus ring inside).
 */
export function scrollArea<T extends HTMLElement>(el: T, label: string): T {
  el.tabIndex = 0;
  el.setAttribute('role', 'region');
  el.setAttribute('aria-label', label);
  el.classList.add('tb-scroll');
  return el;
}

/** A plain table: header cells, then rows of cells (strings or nodes). `numeric` columns align right; `label` names its scroll area. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Child[]>, numeric: readonly number[] = [], label = `Table of ${headers.join(', ')}`): HTMLElement {
  const thead = h('thead', null, h('tr', null, ...headers.map((t, i) => h('th', numeric.includes(i) ? 'tb-num' : null, t))));
  const tbody = h('tbody');
  for (const r of rows) tbody.appendChild(h('tr', null, ...r.map((c, i) => h('td', numeric.includes(i) ? 'tb-num' : null, c))));
  return scrollArea(h('div', 'tb-table-wrap', h('table', 'tb-table', thead, tbody)), label);
}

export function button(text: string, onClick: () => void, cls = 'tb-button'): HTMLButtonElement {
  const b = h('button', cls, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export function empty(text: string): HTMLElement {
  return h('p', 'tb-empty', text);
}
