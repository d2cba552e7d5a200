// The preload: exposes the contract as window.tunebench, one function per method and one subscriber per event.
// No generic invoke and no ipcRenderer leak: the page can reach exactly these channels and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import type { TunebenchBridge } from '../shared/bridge';
import type { Envelope } from '../shared/errors';
import { EVENT_NAMES, METHOD_NAMES, ipcChannel, ipcEventChannel, type EventName, type MethodName } from '../shared/names';

type Call = (input: unknown) => Promise<Envelope<never>>;
type Subscribe = (listener: (payload: never) => void) => () => void;

export function buildBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>) {
  const methods = {} as Record<MethodName, Call>;
  for (const method of METHOD_NAMES) {
    const channel = ipcChannel(method);
    methods[method] = (input) => ipc.invoke(channel, input) as Promise<Envelope<never>>;
  }
  const events = {} as Record<EventName, Subscribe>;
  for (const event of EVENT_NAMES) {
    const channel = ipcEventChannel(event);
    events[event] = (listener) => {
      const wrapped = (_e: unknown, payload: unknown) => listener(payload as never);
      ipc.on(channel, wrapped);
      return () => ipc.removeListener(channel, wrapped);
    };
  }
  // Held to the bridge type the renderer is written against: a call or subscriber of another shape fails the build.
  return Object.freeze({ ...methods, events: Object.freeze(events) }) satisfies TunebenchBridge;
}

contextBridge.exposeInMainWorld('tunebench', buildBridge(ipcRenderer));
