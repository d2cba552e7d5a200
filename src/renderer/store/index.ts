// One zustand store built from slices; actions live beside the state they change.
import { create } from 'zustand';
import type { Client } from '../api/client';
import { createConnectionSlice, type ConnectionSlice } from './connection-slice';
import { createHostsSlice, type HostsSlice } from './hosts-slice';
import { createNavSlice, type NavSlice } from './nav-slice';
import { createNoticesSlice, type NoticesSlice } from './notices-slice';
import { createProjectsSlice, type ProjectsSlice } from './projects-slice';
import { createRunsSlice, type RunsSlice } from './runs-slice';
import { createSelectionSlice, type SelectionSlice } from './selection-slice';

export type AppState = ConnectionSlice & NavSlice & NoticesSlice & ProjectsSlice & HostsSlice & RunsSlice & SelectionSlice;

export function createAppStore(client: Client) {
  return create<AppState>()((...a) => ({
    ...createConnectionSlice(client)(...a),
    ...createNavSlice(...a),
    ...createNoticesSlice(...a),
    ...createProjectsSlice(client)(...a),
    ...createHostsSlice(client)(...a),
    ...createRunsSlice(client)(...a),
    ...createSelectionSlice(...a),
  }));
}

/** The client, for pages that read large data (logs, metrics) straight into components, not the store. */
export type AppStore = ReturnType<typeof createAppStore>;
