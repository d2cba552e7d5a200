import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { parseSshConfig } from '../../src/main/ssh/ssh-config';
import { tempDir } from '../support/tunebench';

const CONFIG = `
# lab machines
Host gpu1 gpu1-alias
  HostName 10.1.2.3
  User alice
  Port 2222
  IdentityFile ~/.ssh/lab_ed25519

Host gpu2
  HostName=gpu2.internal
  ProxyJump bastion,alice@gw:2200

Host bastion
  HostName bastion.example.org

Match host gpu2
  User ignored-by-us

Host *
  User default-user
  Port 22
  IdentityAgent ~/.1password/agent.sock
`;

describe('ssh config import', () => {
  it('gives each concrete alias its settings, first value winning, wildcards as defaults', () => {
    const hosts = parseSshConfig(CONFIG);
    expect(hosts.map((h) => h.alias)).toEqual(['gpu1', 'gpu1-alias', 'gpu2', 'bastion']);
    expect(hosts[0]).toMatchObject({ hostname: '10.1.2.3', user: 'alice', port: 2222 });
    expect(hosts[0]!.identityFile).toMatch(/\/\.ssh\/lab_ed25519$/);
    expect(hosts[2]).toMatchObject({ hostname: 'gpu2.internal', user: 'default-user', port: 22, proxyJump: 'bastion,alice@gw:2200' });
    expect(hosts[3]).toMatchObject({ hostname: 'bastion.example.org', user: 'default-user' });
  });

  it('adds the hosts to the data directory and skips names already taken', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, CONFIG);
    const engine = openEngine({ dataDir: dir });
    await engine.call('hosts.add', { name: 'bastion', hostname: 'other' });
    const r = await engine.call('hosts.import', { configFile: file });
    expect(r.added.map((h) => h.name)).toEqual(['gpu1', 'gpu1-alias', 'gpu2']);
    expect(r.skipped).toEqual([{ name: 'bastion', reason: expect.stringMatching(/already exists/) }]);
    const missing = await engine.dispatch('hosts.import', { configFile: path.join(dir, 'nope') }, { transport: 'direct' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    engine.close();
  });
});
