import type { AppInfo } from '../../shared/contract';
import type { Client } from '../api/client';
import type { ConnectionStatus } from '../api/transport';
import type { Slice } from './slice';

export interface ConnectionSlice {
  connection: ConnectionStatus;
  appInfo: AppInfo | undefined;
  setConnection(status: ConnectionStatus): void;
  loadAppInfo(): Promise<void>;
}

export const createConnectionSlice =
  (client: Client): Slice<ConnectionSlice> =>
  (set, get) => ({
    connection: 'connecting',
    appInfo: undefined,
    setConnection: (connection) => set({ connection }),
    async loadAppInfo() {
      try {
        set({ appInfo: await client.call('app.info', {}) });
      } catch (err) {
        get().notifyError(err);
      }
    },
  });
