// A real OCI registry for tests and benchmarks: Debian's docker-registry (distribution 2.8) on a free loopback port
// under a temp dir, optionally behind basic auth, docker's token auth (the realm served here) or TLS with its own CA;
// plus a counting proxy that can cut an upload midway. Plain JavaScript so bench (plain Node) can share it.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

// Registries still running when the test process ends (a crash, a killed run) are killed with it.
const running = new Set();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export function ensureRegistry() {
  const have = () => fs.existsSync(DOCKER_REGISTRY) && fs.existsSync('/usr/bin/htpasswd') && fs.existsSync('/usr/bin/openssl');
  if (have()) return;
  if (process.getuid?.() === 0) {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry apache2-utils openssl'], { stdio: 'inherit' });
    if (have()) return;
  }
  throw new Error('These tests need `sudo apt-get install -y docker-registry apache2-utils openssl`.');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A CA and a server certificate for 127.0.0.1 and localhost, made with openssl; returns the file paths. */
function makeTlsFiles(dir) {
  const f = (n) => path.join(dir, n);
  const ossl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ossl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Tunebench Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'));
  return { caFile: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/**
 * docker's token realm: checks basic credentials and issues an ES256 JWT whose x5c certificate is also the
 * registry's rootcertbundle. Anonymous callers get a token with no access, as a private registry would.
 */
async function startTokenServer(dir, { user, password, service, issuer }) {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=tunebench-test-token-issuer'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const x5c = new crypto.X509Certificate(fs.readFileSync(certFile)).raw.toString('base64');
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    let account = null;
    if (scheme === 'Basic') {
      const text = Buffer.from(encoded ?? '', 'base64').toString('utf8');
      if (text !== `${user}:${password}`) {
        requests.push({ scopes, account: 'REFUSED', service: url.searchParams.get('service') });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}');
        return;
      }
      account = user;
    }
    requests.push({ scopes, account, service: url.searchParams.get('service') });
    const now = Math.floor(Date.now() / 1000);
    const access = account
      ? scopes
          .map((s) => s.split(':'))
          .filter((p) => p[0] === 'repository')
          .map(([type, name, actions]) => ({ type, name, actions: actions.split(',') }))
      : [];
    const header = { alg: 'ES256', typ: 'JWT', x5c: [x5c] };
    const claims = { iss: issuer, sub: account ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/token`, certFile, requests, close: () => new Promise((r) => server.close(() => r())) };
}

function waitReady(url, caFile, proc, log, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) return reject(new Error(`docker-registry exited: ${fs.readFileSync(log, 'utf8').slice(-2000)}`));
      const req = client.get(`${url}/v2/`, { ...(caFile ? { ca: fs.readFileSync(caFile) } : {}), agent: false }, (res) => {
        res.resume();
        resolve();
      });
      req.on('error', () => {
        if (Date.now() > deadline) reject(new Error(`docker-registry did not answer on ${url}: ${fs.readFileSync(log, 'utf8').slice(-2000)}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts docker-registry; `restart()` keeps the port, the storage and the upload secret so uploads can resume. */
export async function startRegistry({ auth = 'none', tls = false, user = 'tuner', password = crypto.randomBytes(9).toString('base64url'), proxy = false } = {}) {
  ensureRegistry();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-registry-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const log = path.join(dir, 'registry.log');
  const service = 'tunebench-test-registry';
  const tlsFiles = tls ? makeTlsFiles(dir) : null;
  let tokenServer = null;
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    `  filesystem:`,
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${crypto.randomBytes(16).toString('hex')}`,
  ];
  if (tlsFiles) config.push('  tls:', `    certificate: ${tlsFiles.cert}`, `    key: ${tlsFiles.key}`);
  if (auth === 'basic') {
    const line = execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }).trim();
    fs.writeFileSync(path.join(dir, 'htpasswd'), `${line}\n`);
    config.push('auth:', '  htpasswd:', '    realm: tunebench-test', `    path: ${path.join(dir, 'htpasswd')}`);
  } else if (auth === 'token') {
    tokenServer = await startTokenServer(dir, { user, password, service, issuer: 'tunebench-test-issuer' });
    config.push('auth:', '  token:', `    realm: ${tokenServer.url}`, `    service: ${service}`, '    issuer: tunebench-test-issuer', `    rootcertbundle: ${tokenServer.certFile}`);
  }
  const configFile = path.join(dir, 'config.yml');
  fs.writeFileSync(configFile, `${config.join('\n')}\n`);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  let proc;
  const start = async () => {
    const out = fs.openSync(log, 'a');
    const child = spawn(DOCKER_REGISTRY, ['serve', configFile], { stdio: ['ignore', out, out] });
    proc = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    fs.closeSync(out);
    await waitReady(url, tlsFiles?.caFile, proc, log);
  };
  /** Kills the registry as a crash would (SIGKILL) and waits for it to be gone. */
  const stopProc = () =>
    new Promise((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  await start();
  const counting = proxy ? await startCountingProxy(port) : null;
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dir,
    dataDir,
    log,
    caFile: tlsFiles?.caFile,
    user,
    password,
    service,
    tokenRequests: tokenServer?.requests,
    proxy: counting ?? undefined,
    /** Kills the registry as a crash would, keeping its storage for restart(). */
    kill: stopProc,
    restart: async () => {
      await stopProc();
      await start();
    },
    stop: async () => {
      await stopProc();
      await counting?.close();
      await tokenServer?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const UPLOAD = /\/blobs\/uploads\/([0-9a-fA-F-]{36})/;

/**
 * A plain-HTTP loopback proxy in front of a registry that counts request body bytes per upload UUID and per final
 * digest, and can cut the client's connection once N more body bytes have passed. `buffer: true` (the default)
 * holds each request body until it is complete, as nginx does by default (proxy_request_buffering), so a cut request
 * never reaches the registry; `buffer: false` streams, so the registry sees a partial chunk.
 */
export async function startCountingProxy(targetPort, { buffer = true } = {}) {
  const agent = new http.Agent({ keepAlive: true });
  const byUpload = new Map(); // uuid -> bytes received from the client
  const digestOf = new Map(); // uuid -> digest of the final PUT
  const requests = [];
  let total = 0;
  let cutAt = null;
  let cuts = 0;
  let delayMs = 0;
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const uuid = UPLOAD.exec(req.url)?.[1] ?? null;
    const digest = uuid && req.method === 'PUT' ? new URL(req.url, 'http://x').searchParams.get('digest') : null;
    if (uuid && digest) digestOf.set(uuid, digest);
    const record = { method: req.method, uuid, bytes: 0, status: null, cut: false };
    requests.push(record);
    let upstream = null;
    const forward = (body) => {
      upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
        record.status = up.statusCode;
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      if (body) upstream.end(body);
      return upstream;
    };
    const parts = [];
    if (!buffer) forward(null);
    req.on('data', (chunk) => {
      if (record.cut) return;
      let piece = chunk;
      if (cutAt !== null && total + piece.length >= cutAt) {
        piece = piece.subarray(0, cutAt - total);
        record.cut = true;
      }
      total += piece.length;
      record.bytes += piece.length;
      if (uuid) byUpload.set(uuid, (byUpload.get(uuid) ?? 0) + piece.length);
      if (buffer) parts.push(piece);
      else if (piece.length) upstream.write(piece);
      if (record.cut) {
        cutAt = null;
        cuts++;
        // Give a streamed piece a moment to reach the registry, then drop both sides as a failing link would.
        setTimeout(
          () => {
            upstream?.destroy();
            req.socket.destroy();
          },
          buffer ? 0 : 50,
        );
      }
    });
    req.on('end', () => {
      if (record.cut) return;
      // A slow link: each request waits before it goes on, so a test can act in the middle of a push.
      const go = () => (buffer ? forward(Buffer.concat(parts)) : upstream.end());
      if (delayMs > 0 && buffer) setTimeout(go, delayMs);
      else go();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get totalBytes() {
      return total;
    },
    get cuts() {
      return cuts;
    },
    uploadBytes: (uuid) => byUpload.get(uuid) ?? 0,
    /** Body bytes of every upload that was finished with this digest. */
    digestBytes: (digest) => [...digestOf].filter(([, d]) => d === digest).reduce((n, [u]) => n + (byUpload.get(u) ?? 0), 0),
    uploadsFor: (digest) => [...digestOf].filter(([, d]) => d === digest).map(([u]) => u),
    /** Drops the client's connection once `bytes` more request body bytes have passed. */
    cutAfter: (bytes) => {
      cutAt = total + bytes;
    },
    /** Holds every (buffered) request this long before forwarding it: a slow link. */
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
