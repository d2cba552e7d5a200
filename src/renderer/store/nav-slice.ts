import { parseHash, routeToHash, type Route } from './route';
import type { Slice } from './slice';

export interface NavSlice {
  route: Route;
  navigate(route: Route): void;
  /** Follows the address bar (back/forward, a typed link). */
  syncFromHash(hash: string): void;
}

export const createNavSlice: Slice<NavSlice> = (set) => ({
  route: parseHash(typeof location === 'undefined' ? '' : location.hash),
  navigate(route) {
    const hash = routeToHash(route);
    if (typeof location !== 'undefined' && location.hash !== hash) history.pushState(null, '', hash);
    set({ route });
  },
  syncFromHash: (hash) => set({ route: parseHash(hash) }),
});
