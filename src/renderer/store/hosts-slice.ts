import type { Host } from '../../shared/domain/host';
import type { Client } from '../api/client';
import type { Slice } from './slice';

export interface HostsSlice {
  hosts: Host[];
  hostsLoaded: boolean;
  loadHosts(): Promise<void>;
}

export const createHostsSlice =
  (client: Client): Slice<HostsSlice> =>
  (set, get) => ({
    hosts: [],
    hostsLoaded: false,
    async loadHosts() {
      try {
        set({ hosts: await client.call('hosts.list', {}), hostsLoaded: true });
      } catch (err) {
        set({ hostsLoaded: true });
        get().notifyError(err);
      }
    },
  });
