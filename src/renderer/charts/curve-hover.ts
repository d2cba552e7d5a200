// The hover box of Compare's plot (plot.ts): a line at the x under the pointer,
// snapped to the nearest item of any curve, and the box listing every curve's value there. ECharts' own
// box needed a line series through every x to snap to, which it built again on every zoom: a zoom's
// last answer drew in 9.6 ms without that line against 11.4-12.7 ms with it (zooms after a page's first,
// medians of 12).
import type { Geometry } from './plot-curves';
import { curvesTooltip, nearestItem } from './curves';
import { itemStats } from './curve-stats';
import type { Curve, Item } from './line-chart';

export interface HoverSource {
  /** The curves drawn now and where (null before the first drawing). */
  shown(): { curves: Curve[]; geometry: Geometry | null };
  /** The box's heading for the item at the pointer's x (whole steps, a bucket's span). */
  heading(item: Item): string;
}

/** The x of the item nearest to x among the curves' items (the pointer snaps to data, as ECharts' did). */
export function snapX(curves: Curve[], x: number): number | undefined {
  let best: number | undefined;
  for (const c of curves) {
    if (c.faint || c.items.length === 0) continue;
    const it = nearestItem(c.items, x, itemStats(c.items).sorted);
    if (it && (best === undefined || Math.abs(it[0] - x) < Math.abs(best - x))) best = it[0];
  }
  return best;
}

const GAP = 14; // pixels between the pointer and the box

/** Shows the box while the pointer is over the plot; returns the function that removes it. */
export function installCurveHover(el: HTMLElement, source: HoverSource): { hide(): void; remove(): void } {
  const line = document.createElement('div');
  line.className = 'chart-hover-line';
  const box = document.createElement('div');
  box.className = 'chart-hover';
  box.setAttribute('role', 'tooltip');
  line.hidden = box.hidden = true;
  el.append(line, box);
  let shownX: number | undefined;

  const hide = () => {
    line.hidden = box.hidden = true;
    shownX = undefined;
  };
  const onMove = (e: PointerEvent) => {
    if (e.buttons !== 0) return hide(); // a drag pans the chart
    const { curves, geometry: g } = source.shown();
    const bounds = el.getBoundingClientRect();
    const [px, py] = [e.clientX - bounds.left, e.clientY - bounds.top];
    if (!g || px < g.left || px > g.left + g.width || py < g.top || py > g.top + g.height) return hide();
    const x = snapX(curves, g.xAt(px));
    const at = x === undefined ? NaN : g.x(x);
    if (x === undefined || !Number.isFinite(at)) return hide();
    if (x !== shownX) {
      shownX = x;
      box.replaceChildren(curvesTooltip(x, curves, source.heading));
      line.style.left = `${Math.round(at)}px`;
      line.style.top = `${g.top}px`;
      line.style.height = `${g.height}px`;
    }
    line.hidden = box.hidden = false;
    // Beside the pointer, on the side with room, inside the chart.
    const [w, h] = [box.offsetWidth, box.offsetHeight];
    const left = px + GAP + w <= bounds.width ? px + GAP : Math.max(0, px - GAP - w);
    const top = Math.max(0, Math.min(py + GAP, bounds.height - h));
    box.style.left = `${left}px`;
    box.style.top = `${top}px`;
  };
  el.addEventListener('pointermove', onMove);
  el.addEventListener('pointerleave', hide);
  el.addEventListener('pointerdown', hide);
  el.addEventListener('wheel', hide, { capture: true, passive: true });
  return {
    hide,
    remove: () => {
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerleave', hide);
      el.removeEventListener('pointerdown', hide);
      el.removeEventListener('wheel', hide, { capture: true });
      line.remove();
      box.remove();
    },
  };
}
