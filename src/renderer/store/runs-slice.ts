import type { RecipeInfo, Run } from '../../shared/domain/run';
import { ClientError, type Client } from '../api/client';
import type { RunsView } from './route';
import type { Slice } from './slice';

export interface RunsSlice {
  runs: Run[];
  runsLoaded: boolean;
  recipes: RecipeInfo[];
  loadRuns(): Promise<void>;
  loadRecipes(): Promise<void>;
  /** Refreshes one run after an event, without reloading the list. */
  refreshRun(id: string): Promise<void>;
  /**
   * The runs table's last view (project, filter, sort, columns; the selection is the selection slice's), so
   * coming back to Runs from the sidebar or a run's back link, whose links carry no view, shows it again.
   */
  runsView: Omit<RunsView, 'selected'>;
  rememberRunsView(view: Omit<RunsView, 'selected'>): void;
}

export const createRunsSlice =
  (client: Client): Slice<RunsSlice> =>
  (set, get) => ({
    runs: [],
    runsLoaded: false,
    recipes: [],
    runsView: {},
    rememberRunsView: (view) => set({ runsView: view }),
    async loadRuns() {
      try {
        set({ runs: await client.call('runs.list', {}), runsLoaded: true });
      } catch (err) {
        set({ runsLoaded: true });
        get().notifyError(err);
      }
    },
    async loadRecipes() {
      try {
        set({ recipes: await client.call('recipes.list', {}) });
      } catch (err) {
        get().notifyError(err);
      }
    },
    async refreshRun(id) {
      try {
        const run = await client.call('runs.get', { id });
        const others = get().runs.filter((r) => r.id !== run.id);
        set({ runs: [run, ...others].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)) });
      } catch (err) {
        // A dropped link is already in the status bar, and the reload after reconnecting catches up;
        // anything else is said.
        if (!(err instanceof ClientError && err.code === 'DISCONNECTED')) get().notifyError(err);
      }
    },
  });
