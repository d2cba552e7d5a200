// One zustand store built from slices; actions live beside the state they change.
import { create } from 'zustand';
import type { Client } from '../api/client';
import { createConnectionSlice, type ConnectionSlice } from './connection-slice';
import { createNavSlice, type NavSlice } from './nav-slice';
import { createNoticesSlice, type NoticesSlice } from './notices-slice';
import { createProjectsSlice, type ProjectsSlice } from './projects-slice';

export type AppState = ConnectionSlice & NavSlice & NoticesSlice & ProjectsSlice;

export function createAppStore(client: Client) {
  return create<AppState>()((...a) => ({
    ...createConnectionSlice(client)(...a),
    ...createNavSlice(...a),
    ...createNoticesSlice(...a),
    ...createProjectsSlice(client)(...a),
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;
