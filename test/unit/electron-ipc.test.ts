// The Electron IPC wiring (src/main/electron/ipc.ts) against a stand-in ipcMain that behaves as Electron's
// does for what matters here: one handler per channel, and a call on a channel without one is refused.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { forwardEvents, registerIpc } from '../../src/main/electron/ipc';
import type { Engine } from '../../src/main/app';
import { EVENT_NAMES, METHOD_NAMES, ipcChannel, ipcEventChannel } from '../../src/shared/names';

type Handler = (event: unknown, input: unknown) => unknown;
const ipc = vi.hoisted(() => ({ handlers: new Map<string, (event: unknown, input: unknown) => unknown>(), registrations: [] as string[] }));
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      // Electron throws on a second handler for a channel; so does this.
      if (ipc.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipc.registrations.push(channel);
      ipc.handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => ipc.handlers.delete(channel),
  },
}));

/** What the renderer's ipcRenderer.invoke(channel, input) gets from a frame at `url`. */
async function invoke(channel: string, input: unknown, frame: { url: string; parent: unknown } | null = { url: 'app://tunebench/index.html', parent: null }): Promise<unknown> {
  const handler = ipc.handlers.get(channel);
  if (!handler) throw new Error(`No handler registered for '${channel}'`);
  return handler({ senderFrame: frame }, input);
}

const dispatched: { method: string; input: unknown; transport: string }[] = [];
const engine = {
  dispatch: async (method: string, input: unknown, ctx: { transport: string }) => {
    dispatched.push({ method, input, transport: ctx.transport });
    return { ok: true, data: `answer of ${method}` };
  },
} as unknown as Engine;

let unregister: () => void;
beforeEach(() => {
  ipc.handlers.clear();
  ipc.registrations.length = 0;
  dispatched.length = 0;
  unregister = registerIpc(engine);
});

describe('IPC channels', () => {
  it('gives every contract method exactly one channel of its own, and nothing else', () => {
    expect([...ipc.registrations].sort()).toEqual(METHOD_NAMES.map(ipcChannel).sort());
    expect(new Set(ipc.registrations).size).toBe(METHOD_NAMES.length);
    expect(new Set(METHOD_NAMES.map(ipcChannel)).size).toBe(METHOD_NAMES.length); // no two methods share one
  });

  it('dispatches each channel to its own method, marked as IPC', async () => {
    for (const method of METHOD_NAMES) {
      expect(await invoke(ipcChannel(method), { probe: method })).toEqual({ ok: true, data: `answer of ${method}` });
    }
    expect(dispatched).toEqual(METHOD_NAMES.map((method) => ({ method, input: { probe: method }, transport: 'ipc' })));
  });

  it('refuses channels that are not a method: no generic invoke, no made-up method', async () => {
    for (const channel of ['tunebench:invoke', 'tunebench:call', 'tunebench:projects.drop', 'tunebench:*', 'projects.list', 'tunebench:projects.list ']) {
      await expect(invoke(channel, {})).rejects.toThrow('No handler registered');
    }
    expect(dispatched).toEqual([]);
  });

  it.each([
    ['a foreign page', { url: 'https://evil.example/', parent: null }],
    ['a file:// page', { url: 'file:///tmp/index.html', parent: null }],
    ['a frame inside the app', { url: 'app://tunebench/index.html', parent: {} }],
    ['another app:// host', { url: 'app://other/index.html', parent: null }],
    ['no frame at all (it was destroyed)', null],
  ])('refuses calls from %s without reaching the engine', async (_label, frame) => {
    expect(await invoke(ipcChannel('projects.create'), { name: 'x' }, frame)).toEqual({ ok: false, error: { code: 'FORBIDDEN_SENDER', message: expect.any(String) } });
    expect(dispatched).toEqual([]);
  });

  it('accepts the dev server only when the shell was started with it', async () => {
    const dev = { url: 'http://localhost:5173/', parent: null };
    expect(await invoke(ipcChannel('projects.list'), {}, dev)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    unregister();
    expect(ipc.handlers.size).toBe(0);
    registerIpc(engine, 'http://localhost:5173');
    expect(await invoke(ipcChannel('projects.list'), {}, dev)).toEqual({ ok: true, data: 'answer of projects.list' });
  });

  it('takes every channel away when unregistered', async () => {
    unregister();
    await expect(invoke(ipcChannel('projects.list'), {})).rejects.toThrow('No handler registered');
  });
});

describe('IPC events', () => {
  it('forwards each engine event on its own channel, and stops when told or once the window is gone', () => {
    const sent: [string, unknown][] = [];
    let destroyed = false;
    const listeners = new Set<(event: string, payload: unknown) => void>();
    const withEvents = { events: { onAny: (l: (event: string, payload: unknown) => void) => (listeners.add(l), () => listeners.delete(l)) } } as unknown as Engine;
    const stop = forwardEvents(withEvents, { isDestroyed: () => destroyed, send: (channel: string, payload: unknown) => sent.push([channel, payload]) } as never);
    const emit = (event: string, payload: unknown) => listeners.forEach((l) => l(event, payload));
    for (const event of EVENT_NAMES) emit(event, { of: event });
    emit('not.an.event', { x: 1 });
    expect(sent).toEqual(EVENT_NAMES.map((event) => [ipcEventChannel(event), { of: event }]));
    destroyed = true;
    emit('runs.changed', { runId: null });
    expect(sent).toHaveLength(EVENT_NAMES.length);
    destroyed = false;
    stop();
    emit('runs.changed', { runId: null });
    expect(sent).toHaveLength(EVENT_NAMES.length);
  });
});
