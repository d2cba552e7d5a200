// A finished run is never synced again: `run show` of a seeded run (on the local host, where its
// directory does not exist) or of a run whose host is gone must not contact the host, nor store an
// error, nor say the host is unreachable.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { runCli } from '../../src/main/cli/main';
import { tempDir } from '../support/tunebench';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

// A "host" that counts connections and hangs up at once: any sync that tries to reach it shows here.
let connections = 0;
const server = net.createServer((sock) => {
  connections++;
  sock.destroy();
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('finished runs', () => {
  it('`run show` of a seeded run reports it as stored, with no "host unreachable" and no error', async () => {
    const dir = tempDir();
    expect((await cli(['demo', 'seed', '--runs', '2', '--points', '20', '--data-dir', dir])).code).toBe(0);
    const runs = JSON.parse((await cli(['run', 'list', '--json', '--data-dir', dir])).stdout) as { id: string }[];
    expect(runs.length).toBe(2);
    const shown = await cli(['run', 'show', runs[0]!.id, '--data-dir', dir]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status:\s+SUCCEEDED\n/);
    expect(shown.stdout).not.toMatch(/unreachable|last error/);
    const json = JSON.parse((await cli(['run', 'show', runs[1]!.id, '--json', '--data-dir', dir])).stdout);
    expect(json).toMatchObject({ status: 'SUCCEEDED', disconnected: false, lastError: null });
  });

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'])('a %s run on an SSH host is not synced: no connection, nothing stored', async (status) => {
    const dir = tempDir();
    const engine = openEngine({ dataDir: dir, knownHostsFiles: [], agentSocket: '' });
    try {
      await engine.call('demo.seed', { runs: 1, points: 5 });
      const [run] = await engine.call('runs.list', {});
      const host = await engine.call('hosts.add', { name: 'gone', hostname: '127.0.0.1', port, user: 'nobody' });
      engine.db.prepare('UPDATE runs SET host_id = ?, status = ? WHERE id = ?').run(host.id, status, run!.id);
      const before = connections;
      const synced = await engine.call('runs.sync', { id: run!.id });
      expect(connections - before).toBe(0);
      expect(synced).toMatchObject({ status, disconnected: false, lastError: null });
    } finally {
      engine.close();
    }
  });
});
