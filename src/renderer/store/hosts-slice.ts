import type { Host, HostProbe } from '../../shared/domain/host';
import type { Client } from '../api/client';
import type { Slice } from './slice';

export interface HostsSlice {
  hosts: Host[];
  hostsLoaded: boolean;
  loadHosts(): Promise<void>;
  /** The last probe of each host this session, by name: the launch dialog offers a cluster's partitions from it. */
  probes: Record<string, HostProbe>;
  setProbe(name: string, probe: HostProbe): void;
}

export const createHostsSlice =
  (client: Client): Slice<HostsSlice> =>
  (set, get) => ({
    hosts: [],
    hostsLoaded: false,
    probes: {},
    setProbe(name, probe) {
      set({ probes: { ...get().probes, [name]: probe } });
    },
    async loadHosts() {
      try {
        set({ hosts: await client.call('hosts.list', {}), hostsLoaded: true });
      } catch (err) {
        set({ hostsLoaded: true });
        get().notifyError(err);
      }
    },
  });
