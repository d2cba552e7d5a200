// Run colours on charts: stable per run, distinct among the runs on screen.
/** A colour per run that stays the same across pages and reloads. */
const PALETTE = ['#4c6ef5', '#f76707', '#2f9e44', '#e64980', '#7048e8', '#1098ad', '#f59f00', '#d6336c', '#5c940d', '#364fc7', '#c92a2a', '#0b7285'];
function paletteIndex(runId: string): number {
  let h = 0;
  for (const ch of runId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PALETTE.length;
}

export function runColor(runId: string, among: readonly string[] = [runId]): string {
  return colorsFor(among).get(runId) ?? PALETTE[paletteIndex(runId)]!;
}

/**
 * Colours for the runs on screen: each run's own (hashed from its id, so it keeps it across pages),
 * moved to the next free colour only when an earlier run on screen already has it.
 */
export function colorsFor(runIds: readonly string[]): Map<string, string> {
  const used = new Set<number>();
  const out = new Map<string, string>();
  for (const id of runIds) {
    let i = paletteIndex(id);
    for (let k = 0; k < PALETTE.length && used.has(i); k++) i = (i + 1) % PALETTE.length;
    used.add(i);
    out.set(id, PALETTE[i]!);
  }
  return out;
}
