// Reloading what a page shows when the engine says it changed, here or in another process (the CLI).
import { useEffect, useRef, useState } from 'react';
import type { ChangeEventName, EventPayload } from '../../shared/contract';
import { useClient } from '../store/context';

/**
 * How many times `event` has come since the component mounted, counting only those `concerns`
 * accepts (all when it is not given). List it in the dependencies of the effect that loads the data:
 * the effect runs again, and the page shows the change without a reload.
 */
export function useChanges<E extends ChangeEventName>(event: E, concerns?: (payload: EventPayload<E>) => boolean): number {
  const client = useClient();
  const [count, setCount] = useState(0);
  // The latest filter, without subscribing again on every render.
  const filter = useRef(concerns);
  filter.current = concerns;
  useEffect(
    () =>
      client.on(event, (payload) => {
        if (!filter.current || filter.current(payload)) setCount((n) => n + 1);
      }),
    [client, event],
  );
  return count;
}
