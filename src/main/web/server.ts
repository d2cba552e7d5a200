// Browser mode: the built renderer and the WebSocket API on 127.0.0.1 only, behind a random token.
import fs from 'node:fs';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { nodeRequire, wsLib } from '../lazy';
import type { Engine } from '../app';
import { contentSecurityPolicy, SECURITY_HEADERS } from '../security/csp';
import { authenticate, newToken, originAllowed, tokenCookie } from './auth';
import { MAX_MESSAGE_BYTES, serveRpcSocket } from './rpc-socket';
import { resolveStaticFile } from './static-files';

export interface WebServerOptions {
  engine: Engine;
  /** 0 picks any free port. */
  port?: number;
  /** The built renderer (index.html and assets/). */
  staticDir: string;
  token?: string;
}

export interface WebServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export const RPC_PATH = '/rpc';

function refuse(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  res.end(body);
}

function refuseUpgrade(socket: Duplex, status: number, text: string, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? newToken();
  const { engine, staticDir } = options;
  let port = 0;

  const server = nodeRequire<typeof http>('node:http').createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = authenticate(req, url, token, port);
    if (!auth.ok) return refuse(res, auth.status, auth.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN_ORIGIN', auth.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'BAD_MESSAGE', 'Only GET is served here; the API is on the WebSocket.');
    if (auth.via === 'query') {
      // Trade the token in the address for a cookie, and drop it from the address bar and history.
      url.searchParams.delete('token');
      res.writeHead(303, { Location: url.pathname + url.search, 'Set-Cookie': tokenCookie(token, port), 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
      return res.end();
    }
    const found = resolveStaticFile(staticDir, url.pathname);
    if (!found) {
      if (!fs.existsSync(`${staticDir}/index.html`)) {
        return refuse(res, 503, 'INTERNAL', 'The app is not built. Run `npm run build`, then start `tunebench serve` again.');
      }
      return refuse(res, 404, 'NOT_FOUND', `Nothing at ${url.pathname}.`);
    }
    res.writeHead(200, {
      'Content-Type': found.contentType,
      'Cache-Control': found.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
      'Content-Security-Policy': contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]),
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(found.file)
      .on('error', () => res.destroy())
      .pipe(res);
  });

  const wss = new (wsLib().WebSocketServer)({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== RPC_PATH) return refuseUpgrade(socket, 404, 'Not Found', `The API is at ${RPC_PATH}.`);
    const auth = authenticate(req, url, token, port);
    if (!auth.ok) return refuseUpgrade(socket, auth.status, auth.status === 401 ? 'Unauthorized' : 'Forbidden', auth.reason);
    if (!originAllowed(req.headers.origin, port)) {
      return refuseUpgrade(socket, 403, 'Forbidden', 'Connections are accepted only from pages this server served.');
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveRpcSocket(ws, engine));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.close(1001, 'Tunebench is stopping');
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
