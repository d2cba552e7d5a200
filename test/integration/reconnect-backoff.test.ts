// A host that cannot be reached is retried with backoff in the background, never hammered;
// something the user asks for now tries at once.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { tempDir } from '../support/tunebench';

let server: net.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  // Accepts TCP and hangs up at once: an SSH server that is down or rebooting.
  server = net.createServer((sock) => {
    connections++;
    sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('reconnecting', () => {
  it('backs off after a failed connect, and a user action skips the wait', async () => {
    const engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
    try {
      const host = await engine.call('hosts.add', { name: 'down', hostname: '127.0.0.1', port });
      await expect(engine.hosts.access(host)).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
      expect(connections).toBe(1);
      for (let i = 0; i < 5; i++) await expect(engine.hosts.access(host)).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
      expect(connections).toBe(1); // within the backoff: no new attempt
      // Keep asking, as background syncs do, until one more attempt is made: only once the backoff
      // (0.5 s after the first failure) has ended.
      const firstFailed = Date.now();
      const deadline = firstFailed + 10_000;
      while (connections < 2) {
        if (Date.now() > deadline) throw new Error('no second connection attempt within 10 s');
        await expect(engine.hosts.access(host)).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(Date.now() - firstFailed).toBeGreaterThanOrEqual(400);
      expect(connections).toBe(2); // the backoff ended: one more attempt, and a longer wait after it
      await expect(engine.hosts.access(host)).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
      expect(connections).toBe(2);
      await expect(engine.call('hosts.probe', { ref: 'down' })).rejects.toMatchObject({ info: { code: 'HOST_UNREACHABLE' } });
      expect(connections).toBe(3); // the user asked: tried at once
    } finally {
      engine.close();
    }
  });
});
