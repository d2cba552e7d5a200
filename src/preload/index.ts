// The preload: exposes the contract as window.tunebench, one function per method and one subscriber per event.
// No generic invoke and no ipcRenderer leak: the page can reach exactly these channels and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, ipcChannel, ipcEventChannel } from '../shared/names';

export function buildBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>) {
  const api: Record<string, unknown> = {};
  for (const method of METHOD_NAMES) {
    const channel = ipcChannel(method);
    api[method] = (input: unknown) => ipc.invoke(channel, input);
  }
  const events: Record<string, unknown> = {};
  for (const event of EVENT_NAMES) {
    const channel = ipcEventChannel(event);
    events[event] = (listener: (payload: unknown) => void) => {
      const wrapped = (_e: unknown, payload: unknown) => listener(payload);
      ipc.on(channel, wrapped);
      return () => ipc.removeListener(channel, wrapped);
    };
  }
  api.events = Object.freeze(events);
  return Object.freeze(api);
}

contextBridge.exposeInMainWorld('tunebench', buildBridge(ipcRenderer));
