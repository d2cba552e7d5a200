// Electron: calls go through the preload's window.tunebench, one function per method.
import type { TunebenchBridge } from '../../shared/bridge';
import type { Transport } from './transport';

export function ipcTransport(bridge: TunebenchBridge): Transport {
  return {
    kind: 'ipc',
    call: (method, input) => (bridge[method] as (i: unknown) => Promise<never>)(input),
    subscribe: (event, listener) => bridge.events[event](listener as never),
    onStatus: (listener) => {
      listener('connected'); // IPC to our own main process does not drop
      return () => {};
    },
  };
}
