import type { Slice } from './slice';

/** Runs picked in the runs table for the Compare page, in the order they were picked. */
export interface SelectionSlice {
  selectedRunIds: string[];
  toggleRunSelected(id: string): void;
  clearSelection(): void;
  setSelection(ids: string[]): void;
}

export const createSelectionSlice: Slice<SelectionSlice> = (set, get) => ({
  selectedRunIds: [],
  toggleRunSelected(id) {
    const now = get().selectedRunIds;
    set({ selectedRunIds: now.includes(id) ? now.filter((x) => x !== id) : [...now, id] });
  },
  clearSelection: () => set({ selectedRunIds: [] }),
  setSelection: (ids) => set({ selectedRunIds: [...new Set(ids)] }),
});
