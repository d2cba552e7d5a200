import type { StateCreator } from 'zustand';
import type { AppState } from './index';

/** A slice creator that sees the whole store, so actions can notify or navigate. */
export type Slice<T> = StateCreator<AppState, [], [], T>;
