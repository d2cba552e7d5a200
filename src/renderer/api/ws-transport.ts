// Browser mode: calls over one WebSocket to the engine, reconnecting with backoff when the link drops.
// The token travels as an HttpOnly cookie that the page load set; this code never sees it.
import type { EventName, MethodName } from '../../shared/contract';
import type { RequestFrame, ServerFrame } from '../../shared/frames';
import type { Envelope } from '../../shared/errors';
import type { ConnectionStatus, Transport } from './transport';

const CALL_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (e: Envelope<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function wsTransport(url: string): Transport {
  let socket: WebSocket | undefined;
  let status: ConnectionStatus = 'connecting';
  let nextId = 1;
  let backoffMs = 250;
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  const eventListeners = new Map<EventName, Set<(p: unknown) => void>>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();

  const setStatus = (s: ConnectionStatus) => {
    status = s;
    for (const l of statusListeners) l(s);
  };

  const failAll = (message: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: 'DISCONNECTED', message } });
      pending.delete(id);
    }
  };

  const connect = () => {
    setStatus('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      backoffMs = 250;
      setStatus('connected');
      for (const frame of queue.splice(0)) ws.send(frame);
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as ServerFrame;
      if ('event' in msg) {
        for (const l of eventListeners.get(msg.event as EventName) ?? []) l(msg.payload);
        return;
      }
      const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
      if (p && typeof msg.id === 'number') {
        clearTimeout(p.timer);
        pending.delete(msg.id);
        p.resolve(msg.result as Envelope<unknown>);
      }
    };
    ws.onclose = (e) => {
      failAll(e.code === 1009 ? 'The request was too large to send.' : 'Lost the connection to the Tunebench engine. Reconnecting…');
      setStatus('disconnected');
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 5_000);
    };
  };
  connect();

  return {
    kind: 'websocket',
    call(method: MethodName, input: unknown) {
      const id = nextId++;
      const frame = JSON.stringify({ id, method, input } satisfies RequestFrame);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'DISCONNECTED', message: `No answer to ${method} within ${CALL_TIMEOUT_MS / 1000} s. Is \`tunebench serve\` still running?` } });
        }, CALL_TIMEOUT_MS);
        pending.set(id, { resolve, timer });
        if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
        else queue.push(frame);
      });
    },
    subscribe(event, listener) {
      const set = eventListeners.get(event) ?? new Set();
      eventListeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
  };
}
