// Browser mode's server: token, cookie, Host and Origin checks, and the WebSocket RPC with malformed input.
// It is `tunebench serve` as a user starts it, reached at the URL it prints (parsed, never assumed).
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve, tempDir, type Served } from '../support/tunebench';

let served: Served;
/** What the printed URL says: where to go, and the token to go with. */
let printed: URL;
let base: string;
let server: { port: number; token: string };

beforeAll(async () => {
  served = await serve(tempDir());
  printed = new URL(served.url);
  base = printed.origin;
  server = { port: Number(printed.port), token: printed.searchParams.get('token') ?? '' };
});
afterAll(async () => {
  await served?.stop();
});

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

function connect(query = '', headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${printed.host}/rpc${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function rpc(ws: WebSocket, frame: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if ('result' in msg) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

const port = () => server.port;
const cookie = () => `tunebench_token_${port()}=${server.token}`;

describe('browser mode over HTTP', () => {
  it('prints a URL with its token, and listens on 127.0.0.1 only', async () => {
    expect(printed.protocol).toBe('http:');
    expect(printed.hostname).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[\w-]{20,}$/);
    // The socket, not the text: the printed address answers, another address of this machine does not
    // (127.0.0.2 is loopback too, so a server on every address would answer there).
    expect(await accepts('127.0.0.1', server.port)).toBe(true);
    expect(await accepts('127.0.0.2', server.port)).toBe(false);
  });

  it.each([
    ['no token', '/', {}],
    ['a wrong token', '/?token=wrong', {}],
    ['a token one character off', () => `/?token=${server.token.slice(0, -1)}x`, {}],
    ['a wrong cookie', '/', { cookie: 'tunebench_token_1=nope' }],
    // Another server's cookie on 127.0.0.1 (cookies ignore ports) is not ours, even with our token in it.
    ["the token under another port's cookie name", '/', () => ({ cookie: `tunebench_token_${port() + 1}=${server.token}; tunebench_token=${server.token}` })],
  ])('answers 401 with %s', async (_label, path, headers) => {
    const r = await get(typeof path === 'function' ? path() : path, typeof headers === 'function' ? headers() : headers);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.code).toBe('UNAUTHORIZED');
  });

  it('trades the token in the URL for an HttpOnly SameSite=Strict cookie, then serves with it', async () => {
    const first = await get(`/?token=${server.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(first.headers['set-cookie']![0]).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    expect(first.headers['set-cookie']![0]!.startsWith(`tunebench_token_${port()}=`)).toBe(true);
    const page = await get('/', { cookie: cookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses a request that names another host (DNS rebinding)', async () => {
    const r = await get('/', { cookie: cookie(), host: 'evil.example' });
    expect(r.status).toBe(403);
  });
});

describe('browser mode over WebSocket', () => {
  it('refuses an upgrade without the token', async () => {
    await expect(connect()).rejects.toThrow('HTTP 401');
    await expect(connect('?token=bad')).rejects.toThrow('HTTP 401');
  });

  it('refuses an upgrade from a foreign Origin even with the token', async () => {
    await expect(connect('', { cookie: cookie(), origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('answers calls with envelopes and pushes events', async () => {
    const a = await connect('', { cookie: cookie(), origin: printed.origin });
    const b = await connect(`?token=${server.token}`);
    const event = new Promise<any>((resolve) => b.on('message', (d) => resolve(JSON.parse(d.toString()))));
    const created = await rpc(a, { id: 1, method: 'projects.create', input: { name: 'over-ws' } });
    expect(created).toMatchObject({ id: 1, result: { ok: true, data: { name: 'over-ws' } } });
    expect(await event).toEqual({ event: 'projects.changed', payload: { projectId: created.result.data.id } });
    const info = await rpc(a, { id: 'x', method: 'app.info', input: {} });
    expect(info.result.data.transport).toBe('websocket');
    a.close();
    b.close();
  });

  it.each([
    ['not JSON', '{nope', 'BAD_MESSAGE'],
    ['a JSON array', '[1,2]', 'BAD_MESSAGE'],
    ['no id', { method: 'projects.list' }, 'BAD_MESSAGE'],
    ['an unknown method', { id: 2, method: 'projects.drop', input: {} }, 'UNKNOWN_METHOD'],
    ['wrong input types', { id: 3, method: 'projects.create', input: { name: ['a'] } }, 'VALIDATION_FAILED'],
    ['extra fields', { id: 4, method: 'projects.list', input: { includeArchived: true, sql: 'DROP' } }, 'VALIDATION_FAILED'],
    ['a 1 MB name', { id: 5, method: 'projects.create', input: { name: 'n'.repeat(1_000_000) } }, 'VALIDATION_FAILED'],
  ])('answers %s with a coded error and keeps serving', async (_label, frame, code) => {
    const ws = await connect(`?token=${server.token}`);
    const reply = await rpc(ws, frame);
    expect(reply.result).toMatchObject({ ok: false, error: { code } });
    const still = await rpc(ws, { id: 99, method: 'projects.list', input: {} });
    expect(still.result.ok).toBe(true);
    ws.close();
  });

  it('closes a connection that sends a message over 4 MiB, and the engine keeps working', async () => {
    const ws = await connect(`?token=${server.token}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ id: 1, method: 'projects.create', input: { name: 'x'.repeat(5 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
    const again = await connect(`?token=${server.token}`);
    expect((await rpc(again, { id: 1, method: 'projects.list', input: {} })).result.ok).toBe(true);
    again.close();
  });
});
