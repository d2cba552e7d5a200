// The WebSocket side of browser mode: requests {id, method, input} in, {id, result} and {event, payload} out.
import type { WebSocket } from 'ws';
import { FrameId, RequestFrame, type EventFrame, type ResultFrame } from '../../shared/frames';
import type { Engine } from '../app';

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** A request frame, or what is wrong with it (answered with the request's id when it has one). */
function parseRequest(raw: string): RequestFrame | { id: number | string | null; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { id: null, problem: 'The message is not JSON.' };
  }
  const frame = RequestFrame.safeParse(value);
  if (frame.success) return frame.data;
  const id = FrameId.safeParse((value as { id?: unknown } | null)?.id);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { id: null, problem: 'A request must be a JSON object {id, method, input}.' };
  if (!id.success) return { id: null, problem: 'A request needs an "id" (number or string).' };
  return { id: id.data, problem: 'A request needs a "method" (a string).' };
}

export function serveRpcSocket(socket: WebSocket, engine: Engine): void {
  const send = (message: ResultFrame | EventFrame) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const unsubscribe = engine.events.onAny((event, payload) => send({ event, payload } satisfies EventFrame));
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, 30_000);
  heartbeat.unref();
  socket.on('pong', () => (alive = true));

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      send({ id: null, result: { ok: false, error: { code: 'BAD_MESSAGE', message: 'Send requests as text frames of JSON.' } } });
      return;
    }
    const request = parseRequest(data.toString());
    if ('problem' in request) {
      send({ id: request.id, result: { ok: false, error: { code: 'BAD_MESSAGE', message: request.problem } } });
      return;
    }
    void engine.dispatch(request.method, request.input, { transport: 'websocket' }).then((result) => send({ id: request.id, result }));
  });
  socket.on('error', () => {
    // ws closes the socket itself (e.g. 1009 for an oversized message); nothing else to do.
  });
  socket.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
