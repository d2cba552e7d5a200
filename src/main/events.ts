// A typed event bus: the engine emits, transports forward. Listeners get an unsubscribe function.
import type { EventName, EventPayload } from '../shared/contract';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;
type AnyListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export class EventBus {
  private readonly listeners = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event, payload);
      } catch (err) {
        // One broken listener (a closed socket, say) must not stop the others.
        console.error(`tunebench: event listener for ${event} failed:`, err);
      }
    }
  }

  onAny(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    return this.onAny((name: EventName, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    });
  }
}
