// Curve colours on the Compare page: one per curve, in the order the curves are listed, from a
// colour-blind-safe palette (Okabe & Ito's, plus an olive from Paul Tol's "muted" set) ordered so
// that neighbours differ in hue and lightness. Chips, the legend, the config table and parallel
// coordinates all take their colour from here, so a run (or its seed group) is one colour everywhere.

/** Distinguishable under the common colour-vision deficiencies, and on light and dark backgrounds. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999933'] as const;

/** Past the palette's length colours repeat: the repeat is drawn dashed, then dotted, to stay told apart. */
export const LINE_TYPES = ['solid', 'dashed', 'dotted'] as const;

export interface CurveStyle {
  color: string;
  lineType: (typeof LINE_TYPES)[number];
}

export function curveStyle(position: number): CurveStyle {
  return { color: PALETTE[position % PALETTE.length]!, lineType: LINE_TYPES[Math.floor(position / PALETTE.length) % LINE_TYPES.length]! };
}

/**
 * The style of each run's curve. Runs of a seed group share one curve and so one colour (the group's
 * place is its first member's); the other runs take the next places in the order given.
 */
export function curveStyles(runIds: readonly string[], groups?: readonly (readonly string[])[]): Map<string, CurveStyle> {
  const groupOf = new Map<string, readonly string[]>();
  for (const g of groups ?? []) if (g.length > 1) for (const id of g) groupOf.set(id, g);
  const out = new Map<string, CurveStyle>();
  let position = 0;
  for (const id of runIds) {
    if (out.has(id)) continue;
    const style = curveStyle(position++);
    for (const member of groupOf.get(id) ?? [id]) if (runIds.includes(member)) out.set(member, style);
  }
  return out;
}
