// Gives components the store through React context, so tests can mount with their own client.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Client } from '../api/client';
import type { AppState, AppStore } from './index';

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useApp<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp needs a StoreProvider above it');
  return useStore(store, selector);
}

const ClientContext = createContext<Client | null>(null);

export function ClientProvider({ client, children }: { client: Client; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** Direct engine calls for data that must not live in the store (raw log lines, metric series). */
export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient needs a ClientProvider above it');
  return client;
}
