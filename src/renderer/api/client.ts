// The one typed client the UI uses. It throws ClientError (with the engine's code) so UI code can show the message.
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../../shared/contract';
import type { TunebenchBridge } from '../../shared/bridge';
import type { ErrorInfo } from '../../shared/errors';
import { ipcTransport } from './ipc-transport';
import type { ConnectionStatus, Transport } from './transport';
import { wsTransport } from './ws-transport';

export class ClientError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'ClientError';
  }
  get code() {
    return this.info.code;
  }
}

export interface Client {
  readonly transport: Transport['kind'];
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}

export function createClient(transport: Transport): Client {
  return {
    transport: transport.kind,
    async call(method, input) {
      const result = await transport.call(method, input);
      if (!result.ok) throw new ClientError(result.error);
      return result.data as never;
    },
    on: (event, listener) => transport.subscribe(event, listener as (p: unknown) => void),
    onStatus: (listener) => transport.onStatus(listener),
  };
}

/** Electron when the preload exposed window.tunebench, else browser mode's WebSocket on this page's host. */
export function connectClient(): Client {
  const bridge = (window as unknown as { tunebench?: TunebenchBridge }).tunebench;
  if (bridge) return createClient(ipcTransport(bridge));
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createClient(wsTransport(`${scheme}://${location.host}/rpc`));
}
