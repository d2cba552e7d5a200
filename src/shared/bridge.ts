// The shape of window.tunebench that the Electron preload exposes: one function per method, one subscriber per event.
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from './contract';
import type { Envelope } from './errors';

export type TunebenchBridge = {
  readonly [M in MethodName]: (input: MethodInput<M>) => Promise<Envelope<MethodOutput<M>>>;
} & {
  readonly events: { readonly [E in EventName]: (listener: (payload: EventPayload<E>) => void) => () => void };
};
