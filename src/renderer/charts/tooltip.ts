// The hover box of line charts: every run's value at the x under the pointer, built as DOM nodes.
// ECharts' own box is an HTML string full of style="" attributes, which our CSP (style-src 'self')
// strips, leaving names and values run together; and with 50 runs, parsing that HTML on every
// redraw cost ~60 ms. Colours are set through the CSSOM, which the CSP allows.

interface AxisParam {
  seriesName?: string;
  seriesType?: string;
  color?: unknown;
  value?: unknown;
  axisValueLabel?: string;
}

const format = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(5)).toString());

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Rows sorted by value (lowest first), one per curve name; several columns when there are many.
 * `heading` makes the first row's title from its data item (whole steps, not "12,416.50").
 */
export function axisTooltip(raw: unknown, heading?: (item: unknown) => string): HTMLElement {
  const params = (Array.isArray(raw) ? raw : [raw]) as AxisParam[];
  const rows = new Map<string, { color: string; value: number | null }>();
  for (const p of params) {
    if (p.seriesType !== 'line' || !p.seriesName || rows.has(p.seriesName)) continue;
    const y = Array.isArray(p.value) ? p.value[1] : p.value;
    rows.set(p.seriesName, { color: typeof p.color === 'string' ? p.color : '#888', value: typeof y === 'number' && Number.isFinite(y) ? y : null });
  }
  return tipBox(
    heading ? heading(params[0]?.value) : (params[0]?.axisValueLabel ?? ''),
    [...rows].map(([name, row]) => ({ name, ...row })),
  );
}

/** The box itself: a heading, then one row per curve sorted by value (lowest first), in columns when there are many. */
export function tipBox(heading: string, rows: { name: string; color: string; value: number | null }[]): HTMLElement {
  const box = el('div', 'chart-tip');
  box.append(el('div', 'chart-tip-x', heading));
  const list = el('div', rows.length > 12 ? 'chart-tip-rows many' : 'chart-tip-rows');
  const sorted = [...rows].sort((a, b) => (a.value ?? Infinity) - (b.value ?? Infinity));
  for (const { name, color, value } of sorted) {
    const dot = el('span', 'chart-tip-dot');
    dot.style.background = color;
    list.append(dot, el('span', 'chart-tip-name', name), el('span', 'chart-tip-value', format(value)));
  }
  box.append(list);
  return box;
}
