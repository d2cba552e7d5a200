import type { MethodInput } from '../../shared/contract';
import type { Host, HostProbe } from '../../shared/domain/host';
import type { Client } from '../api/client';
import type { Slice } from './slice';

export interface HostsSlice {
  hosts: Host[];
  hostsLoaded: boolean;
  loadHosts(): Promise<void>;
  /**
   * The last probe of each host, by name, as the engine keeps it (across reloads) or as probed this
   * session: the launch dialog offers a cluster's partitions from it and says what a host lacks.
   */
  probes: Record<string, HostProbe>;
  /** When each of those probes was made (ms). */
  probedAt: Record<string, number>;
  setProbe(name: string, probe: HostProbe): void;
  /** These throw ClientError so a form can show the message beside its field. */
  configureHost(input: MethodInput<'hosts.configure'>): Promise<Host>;
  removeHost(name: string): Promise<Host>;
}

export const createHostsSlice =
  (client: Client): Slice<HostsSlice> =>
  (set, get) => ({
    hosts: [],
    hostsLoaded: false,
    probes: {},
    probedAt: {},
    setProbe(name, probe) {
      set({ probes: { ...get().probes, [name]: probe }, probedAt: { ...get().probedAt, [name]: Date.now() } });
    },
    async loadHosts() {
      try {
        const [hosts, kept] = await Promise.all([client.call('hosts.list', {}), client.call('hosts.lastProbes', {})]);
        // The engine forgets a probe whose host changed Python or address, or was removed: so does the store.
        set({
          hosts,
          hostsLoaded: true,
          probes: Object.fromEntries(kept.map((p) => [p.hostName, p.probe])),
          probedAt: Object.fromEntries(kept.map((p) => [p.hostName, p.probedAt])),
        });
      } catch (err) {
        set({ hostsLoaded: true });
        get().notifyError(err);
      }
    },
    async configureHost(input) {
      const host = await client.call('hosts.configure', input);
      await get().loadHosts();
      return host;
    },
    async removeHost(name) {
      const host = await client.call('hosts.remove', { ref: name });
      await get().loadHosts();
      return host;
    },
  });
