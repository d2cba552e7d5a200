// The element a node scrolls in (the app's main area), for IntersectionObserver's root: with the
// viewport as root, a node below the main area's visible part is clipped by it, and a rootMargin on the
// viewport never reaches it.
export function scrollParent(node: HTMLElement): HTMLElement | null {
  for (let el = node.parentElement; el; el = el.parentElement) {
    const { overflowY } = getComputedStyle(el);
    if (overflowY === 'auto' || overflowY === 'scroll') return el;
  }
  return null;
}

/** The bottom edge of what can be seen of a node's scroll area (the window's, without one). */
export const visibleBottom = (node: HTMLElement): number => scrollParent(node)?.getBoundingClientRect().bottom ?? window.innerHeight;
