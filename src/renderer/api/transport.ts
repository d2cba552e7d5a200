// A transport carries calls and events between the renderer and the engine; the client does not care which.
import type { EventName, MethodName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface Transport {
  readonly kind: 'ipc' | 'websocket';
  call(method: MethodName, input: unknown): Promise<Envelope<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}
