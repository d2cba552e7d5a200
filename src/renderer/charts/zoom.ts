// Zooming a chart's x axis. The window (from, to) the chart's owner keeps is the one truth: the wheel,
// a drag, the keys and a double-click each compute a new window from it, the owner queries exactly
// that window, and the chart draws the answer with its x axis set to exactly that window (no
// ECharts dataZoom, whose percentages of a data extent that changes with every answer made zooms drift).

export interface XWindow {
  from: number;
  to: number;
}

/** All the data's x extent, and the typical x distance between its points where known. */
export interface DataExtent extends XWindow {
  spacing?: number;
}

/** Zooming in this far is still allowed when the points' spacing is unknown: a ten-millionth of the data. */
const DEEPEST = 1e-7;

/**
 * The window scaled by `factor` (<1 zooms in) about `anchor`, which keeps its place on screen; inside
 * `full`. The deepest zoom shows about two points' spacing across the plot: single points.
 */
export function zoomAbout(win: XWindow, anchor: number, factor: number, full: DataExtent): XWindow {
  const span = win.to - win.from;
  const fullSpan = full.to - full.from;
  const minSpan = Math.min(fullSpan, Math.max(fullSpan * DEEPEST, 2 * (full.spacing ?? 0), Number.EPSILON * Math.max(1, Math.abs(full.to)) * 16));
  const next = Math.min(fullSpan, Math.max(minSpan, span * factor));
  const f = span > 0 ? next / span : 1;
  let from = anchor - (anchor - win.from) * f;
  let to = anchor + (win.to - anchor) * f;
  // Zooming out near an end: slide back inside the data rather than show empty axis.
  if (from < full.from) [from, to] = [full.from, full.from + next];
  if (to > full.to) [from, to] = [full.to - next, full.to];
  return { from: Math.max(full.from, from), to: Math.min(full.to, to) };
}

/** The window moved by `delta` x units, kept inside `full`. */
export function panBy(win: XWindow, delta: number, full: XWindow): XWindow {
  const span = win.to - win.from;
  const from = Math.min(full.to - span, Math.max(full.from, win.from + delta));
  return { from, to: from + span };
}

/** True when the window shows all the data (no zoom to keep). */
export function isFull(win: XWindow, full: XWindow): boolean {
  const tolerance = (full.to - full.from) * 1e-9;
  return win.from <= full.from + tolerance && win.to >= full.to - tolerance;
}

/** The wheel's delta in pixels (line and page modes are scaled as browsers scroll them). */
function wheelPixels(e: WheelEvent, delta: number): number {
  return e.deltaMode === 1 ? delta * 40 : e.deltaMode === 2 ? delta * 800 : delta;
}

export interface ZoomTarget {
  /** The window shown now (the requested one while its answer is on its way); null before any data. */
  getWindow(): XWindow | null;
  /** All the data's x extent: zooming out stops there. */
  getFull(): DataExtent | null;
  /** Ask for a window; null = zoomed all the way out. */
  setWindow(win: XWindow | null): void;
  /** The plot area in CSS pixels from the element's left edge. */
  plot(): { left: number; width: number } | null;
  /** Moves the drawn axis while a drag is under way (the window is asked for when it ends). */
  preview(win: XWindow): void;
}

/**
 * Wheel, drag, double-click and keys on a chart element. The wheel zooms only when the chart has focus
 * (a click gives it) or with Ctrl, Alt or Cmd held: otherwise it scrolls the page as everywhere else,
 * and a hint says how to zoom. Returns the function that removes the handlers.
 */
export function installZoom(el: HTMLElement, target: ZoomTarget, hint: (show: boolean) => void): () => void {
  const change = (compute: (win: XWindow, full: XWindow) => XWindow) => {
    const win = target.getWindow();
    const full = target.getFull();
    if (!win || !full || !(full.to > full.from)) return;
    const next = compute(win, full);
    target.setWindow(isFull(next, full) ? null : next);
  };
  const anchorAt = (clientX: number, win: XWindow) => {
    const plot = target.plot();
    if (!plot || plot.width <= 0) return (win.from + win.to) / 2;
    const fraction = Math.min(1, Math.max(0, (clientX - el.getBoundingClientRect().left - plot.left) / plot.width));
    return win.from + fraction * (win.to - win.from);
  };

  let hintTimer: ReturnType<typeof setTimeout> | undefined;
  const onWheel = (e: WheelEvent) => {
    const zooming = document.activeElement === el || e.ctrlKey || e.altKey || e.metaKey;
    if (!zooming) {
      hint(true);
      clearTimeout(hintTimer);
      hintTimer = setTimeout(() => hint(false), 1500);
      return; // the page scrolls
    }
    e.preventDefault();
    // An ECharts chart (the run page's) would answer the wheel by working out its hover box for every
    // curve before a zoom's queries went out: a zooming wheel is ours alone (taken in the capture phase).
    e.stopPropagation();
    const dx = wheelPixels(e, e.deltaX);
    const dy = wheelPixels(e, e.deltaY);
    if (Math.abs(dx) > Math.abs(dy)) {
      const plot = target.plot();
      change((win, full) => panBy(win, (dx / Math.max(1, plot?.width ?? 1)) * (win.to - win.from), full));
    } else if (dy !== 0) {
      // A 100-pixel notch zooms by about a fifth; one event never more than 4x.
      const factor = 2 ** (Math.max(-600, Math.min(600, dy)) / 300);
      change((win, full) => zoomAbout(win, anchorAt(e.clientX, win), factor, full));
    }
  };

  // Drag to pan: the axis follows the pointer, the window is asked for when the button is let go.
  let drag: { x: number; win: XWindow; full: XWindow; moved: boolean; pointer: number } | null = null;
  let dragged: XWindow | null = null;
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const win = target.getWindow();
    const full = target.getFull();
    const plot = target.plot();
    const x = e.clientX - el.getBoundingClientRect().left;
    if (!win || !full || !plot || x < plot.left || x > plot.left + plot.width) return;
    drag = { x: e.clientX, win, full, moved: false, pointer: e.pointerId };
    dragged = null;
  };
  const onMove = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.pointer) return;
    const dx = e.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < 4) return; // a click, not a drag
    if (!drag.moved) el.setPointerCapture?.(e.pointerId);
    drag.moved = true;
    const width = Math.max(1, target.plot()?.width ?? 1);
    dragged = panBy(drag.win, (-dx / width) * (drag.win.to - drag.win.from), drag.full);
    target.preview(dragged);
  };
  const onUp = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.pointer) return;
    const { moved, full } = drag;
    drag = null;
    if (moved && dragged) target.setWindow(isFull(dragged, full) ? null : dragged);
  };
  const onDoubleClick = () => target.setWindow(null);
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '+' || e.key === '=') change((win, full) => zoomAbout(win, (win.from + win.to) / 2, 0.5, full));
    else if (e.key === '-' || e.key === '_') change((win, full) => zoomAbout(win, (win.from + win.to) / 2, 2, full));
    else if (e.key === 'ArrowLeft') change((win, full) => panBy(win, -(win.to - win.from) / 5, full));
    else if (e.key === 'ArrowRight') change((win, full) => panBy(win, (win.to - win.from) / 5, full));
    else if (e.key === '0') target.setWindow(null);
    else return;
    e.preventDefault();
  };
  el.addEventListener('wheel', onWheel, { passive: false, capture: true });
  el.addEventListener('pointerdown', onDown);
  el.addEventListener('pointermove', onMove);
  el.addEventListener('pointerup', onUp);
  el.addEventListener('pointercancel', onUp);
  el.addEventListener('dblclick', onDoubleClick);
  el.addEventListener('keydown', onKey);
  return () => {
    clearTimeout(hintTimer);
    el.removeEventListener('wheel', onWheel, { capture: true });
    el.removeEventListener('pointerdown', onDown);
    el.removeEventListener('pointermove', onMove);
    el.removeEventListener('pointerup', onUp);
    el.removeEventListener('pointercancel', onUp);
    el.removeEventListener('dblclick', onDoubleClick);
    el.removeEventListener('keydown', onKey);
  };
}

/**
 * Zooming on a chart element as a person meets it: focusable (a click gives it focus, which lets the
 * plain wheel zoom; keys zoom and pan), with the hint shown when the wheel scrolls past it instead.
 */
export function installChartZoom(element: HTMLElement, target: ZoomTarget): () => void {
  element.tabIndex = 0;
  const hint = document.createElement('div');
  hint.className = 'chart-zoom-hint';
  hint.textContent = 'Click the chart (or hold Ctrl) to zoom with the wheel';
  hint.hidden = true;
  element.parentElement?.append(hint);
  const remove = installZoom(element, target, (show) => (hint.hidden = !show));
  return () => {
    remove();
    hint.remove();
  };
}
