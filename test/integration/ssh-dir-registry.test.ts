// The SSH directory registry against a real OpenSSH server, logged in as a second account that
// owns the registry: chunked uploads, digests checked on the host, racing pushes, readers during a
// push, atomic aliases with history, approvals.log under concurrent writers, bad names.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAccess, SshAccess, type HostAccess } from '../../src/main/hosts/host-access';
import { SshDirRegistry, type FileDigest } from '../../src/main/registry/ssh-dir';
import { connectSsh } from '../../src/main/ssh/connect';
import { startSshd, type TestSshd } from '../support/sshd.mjs';

const MiB = 1024 * 1024;
let sshd: TestSshd;
let home: string; // the registry account's home; the registry is `registry` in it
let bigFile: string;
let bigDigest: string;
const opened: HostAccess[] = [];

async function connect(): Promise<SshAccess> {
  const client = await connectSsh({ hostname: '127.0.0.1', port: sshd.port, user: sshd.second!.user, identityFile: sshd.clientKey }, [], {
    trust: { knownHostsFiles: [], trustedKeys: () => [{ keyType: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint, revoked: false }] },
    agentSocket: '',
  });
  const access = new SshAccess(client);
  opened.push(access);
  return access;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const regDir = (...p: string[]) => path.join(home, 'registry', ...p);
const stagingDirs = (model: string) => fs.readdirSync(regDir(model)).filter((n) => n.startsWith('.staging-'));
/** Reads from a file on this machine, as a relay push does; records the chunk lengths asked for. */
function fileReader(file: string, asked: number[] = []) {
  return async (offset: number, length: number) => {
    asked.push(length);
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
}
const bufReader = (b: Buffer) => async (offset: number, length: number) => b.subarray(offset, offset + length);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Stages small files and metadata; returns the staging dir and the digests to commit with. */
async function stage(reg: SshDirRegistry, model: string, files: Record<string, Buffer>) {
  const { stagingDir } = await reg.beginVersion(model);
  for (const [rel, data] of Object.entries(files)) await reg.writeStagedFile(stagingDir, rel, bufReader(data), data.length);
  await reg.writeStagedText(stagingDir, 'manifest.json', JSON.stringify({ files: Object.keys(files) }));
  const expected: FileDigest[] = Object.entries(files).map(([p, d]) => ({ path: p, sha256: sha(d) }));
  return { stagingDir, expected };
}

beforeAll(async () => {
  sshd = await startSshd({ secondUser: true });
  home = sshd.second!.home;
  bigFile = path.join(sshd.dir, 'big.bin');
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(bigFile, 'w', 0o644);
  for (let i = 0; i < 40; i++) {
    const piece = crypto.randomBytes(MiB);
    hash.update(piece);
    fs.writeSync(fd, piece);
  }
  fs.closeSync(fd);
  bigDigest = hash.digest('hex');
});

afterAll(async () => {
  for (const a of opened) a.close();
  await sshd?.stop();
  // Some 200 MiB of copies of the big file: not left in /tmp after every run.
  if (sshd) fs.rmSync(sshd.dir, { recursive: true, force: true });
});

describe('the SSH directory registry', () => {
  it('is created by init, keeps approvals.log on re-init, and refuses a non-empty directory that is no registry', async () => {
    const reg = new SshDirRegistry(await connect(), 'registry/');
    expect(await codeOf(reg.listModels())).toBe('REGISTRY_NOT_FOUND');
    await reg.init('alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld');
    fs.appendFileSync(regDir('approvals.log'), '{"old":true}\n');
    await reg.init('alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINew\n');
    expect(await reg.allowedSigners()).toBe('alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINew\n');
    expect(await reg.approvalsLog()).toEqual(['{"old":true}']);
    expect(fs.statSync(regDir('allowed_signers')).uid).toBe(sshd.second!.uid);
    expect(fs.readdirSync(regDir()).sort()).toEqual(['allowed_signers', 'approvals.log']); // no temp file left
    expect(await reg.listModels()).toEqual([]);
    fs.mkdirSync(path.join(home, 'junk'));
    fs.writeFileSync(path.join(home, 'junk', 'x'), 'x');
    expect(await codeOf(new SshDirRegistry(await connect(), 'junk').init(''))).toBe('REGISTRY_REFUSED');
  });

  it('publishes a version: 40 MiB relayed in 8 MiB chunks, a copy on the host, digests checked there, files read-only', async () => {
    const reg = new SshDirRegistry(await connect(), 'registry');
    expect(await reg.versionManifest('llama', 'v1')).toBeNull();
    const { stagingDir } = await reg.beginVersion('llama');
    const asked: number[] = [];
    await reg.writeStagedFile(stagingDir, 'weights/model.safetensors', fileReader(bigFile, asked), 40 * MiB);
    expect(asked).toEqual([8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB]);
    await reg.copyLocal(stagingDir, 'copy/model.safetensors', bigFile);
    const config = Buffer.from('{"hidden_size": 8}\n');
    await reg.writeStagedFile(stagingDir, 'config.json', bufReader(config), config.length);
    await reg.writeStagedFile(stagingDir, 'empty.txt', bufReader(Buffer.alloc(0)), 0);
    const manifest = JSON.stringify({ name: 'llama', version: 'v1' });
    await reg.writeStagedText(stagingDir, 'manifest.json', manifest);
    await reg.writeStagedText(stagingDir, 'report.html', '<html></html>');
    expect(await reg.listVersions('llama')).toEqual([]); // staged is not published
    const expected: FileDigest[] = [
      { path: 'weights/model.safetensors', sha256: bigDigest },
      { path: 'copy/model.safetensors', sha256: bigDigest },
      { path: 'config.json', sha256: sha(config) },
      { path: 'empty.txt', sha256: sha(Buffer.alloc(0)) },
    ];
    await reg.commitVersion('llama', 'v1', stagingDir, expected);

    expect(await reg.listModels()).toEqual(['llama']);
    expect(await reg.listVersions('llama')).toEqual(['v1']);
    expect((await reg.versionManifest('llama', 'v1'))!.toString()).toBe(manifest);
    const sums = (await reg.readVersionFile('llama', 'v1', 'SHA256SUMS')).toString();
    expect(sums.split('\n').filter(Boolean).sort()).toEqual(expected.map((f) => `${f.sha256}  files/${f.path}`).sort());
    const ssh = await connect();
    const check = await ssh.exec('cd registry/llama/v1 && sha256sum -c SHA256SUMS && { [ -w files/config.json ] && echo writable || echo read-only; }');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('files/weights/model.safetensors: OK');
    expect(check.stdout.trim().split('\n').pop()).toBe('read-only');
    expect(await reg.hashFiles('llama', 'v1')).toEqual(
      [...expected].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => ({ ...f, size: f.path.endsWith('safetensors') ? 40 * MiB : f.path === 'config.json' ? config.length : 0 })),
    );
    expect(stagingDirs('llama')).toEqual([]);

    // Bytes other than announced, a file too many, a version taken: refused, and nothing left behind.
    const bad = await stage(reg, 'llama', { 'a.bin': Buffer.from('a') });
    expect(await codeOf(reg.commitVersion('llama', 'v2', bad.stagingDir, [{ path: 'a.bin', sha256: sha(Buffer.from('b')) }]))).toBe('VERIFY_FAILED');
    const extra = await stage(reg, 'llama', { 'a.bin': Buffer.from('a'), 'b.bin': Buffer.from('b') });
    expect(await codeOf(reg.commitVersion('llama', 'v2', extra.stagingDir, extra.expected.slice(0, 1)))).toBe('VERIFY_FAILED');
    const taken = await stage(reg, 'llama', { 'a.bin': Buffer.from('a') });
    expect(await codeOf(reg.commitVersion('llama', 'v1', taken.stagingDir, taken.expected))).toBe('REGISTRY_REFUSED');
    expect(stagingDirs('llama')).toEqual([]);
    expect(await reg.listVersions('llama')).toEqual(['v1']);
    expect(await codeOf(reg.readVersionFile('llama', 'v1', 'files/nope'))).toBe('REGISTRY_NOT_FOUND');
    expect(await codeOf(reg.listVersions('nope'))).toBe('REGISTRY_NOT_FOUND');
  });

  it('lets exactly one of two racing pushes of a version win; the loser gets REGISTRY_REFUSED and leaves no staging dir', async () => {
    const [a, b] = [new SshDirRegistry(await connect(), 'registry'), new SshDirRegistry(await connect(), 'registry')];
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const version = `race-${round}`;
      // Same size, so both spend the same time hashing and reach `mv -T` together; the last round pushes the same bytes.
      const same = round === 5;
      const pa = await stage(a, 'racy', { 'w.bin': Buffer.alloc(2 * MiB, 'a') });
      const pb = await stage(b, 'racy', { 'w.bin': Buffer.alloc(2 * MiB, same ? 'a' : 'b') });
      const results = await Promise.allSettled([a.commitVersion('racy', version, pa.stagingDir, pa.expected), b.commitVersion('racy', version, pb.stagingDir, pb.expected)]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toBeGreaterThanOrEqual(0);
      expect(lost).toHaveLength(1);
      const err = lost[0]!.reason as { code: string; details: { during: string; sameContent: boolean } };
      expect(err.code).toBe('REGISTRY_REFUSED');
      expect(err.details.sameContent).toBe(same);
      outcomes.push(`${won === 0 ? 'a' : 'b'} won, loser refused at ${err.details.during}`);
      const winner = won === 0 ? pa : pb;
      expect((await a.readVersionFile('racy', version, 'SHA256SUMS')).toString()).toBe(`${winner.expected[0]!.sha256}  files/w.bin\n`);
      expect(stagingDirs('racy')).toEqual([]);
    }
    console.info(`racing pushes: ${outcomes.join('; ')}`);
    expect(await a.listVersions('racy')).toEqual(['race-0', 'race-1', 'race-2', 'race-3', 'race-4', 'race-5']);
  });

  it('never shows a reader a staging dir or a partial version while a push is under way', async () => {
    const writer = new SshDirRegistry(await connect(), 'registry');
    const reader = new SshDirRegistry(await connect(), 'registry');
    await writer.commitVersion(
      'watched',
      'v1',
      ...(await (async () => {
        const s = await stage(writer, 'watched', { 'small.bin': Buffer.from('x') });
        return [s.stagingDir, s.expected] as const;
      })()),
    );
    let pushing = true;
    const seen = new Set<string>();
    let polls = 0;
    const poll = (async () => {
      while (pushing) {
        for (const v of await reader.listVersions('watched')) {
          seen.add(v);
          const sums = (await reader.readVersionFile('watched', v, 'SHA256SUMS')).toString().trim().split('\n');
          expect(sums).toHaveLength(v === 'v1' ? 1 : 2);
          expect(await reader.versionManifest('watched', v)).not.toBeNull();
        }
        polls++;
      }
    })();
    let stagingSeen = false;
    const { stagingDir } = await writer.beginVersion('watched');
    const read = fileReader(bigFile);
    await writer.writeStagedFile(
      stagingDir,
      'model.safetensors',
      async (offset, length) => {
        stagingSeen ||= stagingDirs('watched').length === 1;
        return read(offset, length);
      },
      40 * MiB,
    );
    await writer.writeStagedFile(stagingDir, 'config.json', bufReader(Buffer.from('{}')), 2);
    await writer.writeStagedText(stagingDir, 'manifest.json', '{}');
    await writer.commitVersion('watched', 'v2', stagingDir, [
      { path: 'model.safetensors', sha256: bigDigest },
      { path: 'config.json', sha256: sha(Buffer.from('{}')) },
    ]);
    const after = polls;
    while (polls < after + 2) await new Promise((r) => setTimeout(r, 20)); // let the reader see the result
    pushing = false;
    await poll;
    expect(stagingSeen).toBe(true);
    expect(polls).toBeGreaterThan(5);
    expect([...seen].sort()).toEqual(['v1', 'v2']);
  });

  it('moves aliases atomically, records each move from/to in order, and refuses a missing version', async () => {
    const reg = new SshDirRegistry(await connect(), 'registry');
    for (const v of ['v1', 'v2']) {
      const s = await stage(reg, 'aliased', { 'w.bin': Buffer.from(v) });
      await reg.commitVersion('aliased', v, s.stagingDir, s.expected);
    }
    expect(await reg.resolveAlias('aliased', 'prod')).toBeNull();
    expect(await reg.setAlias('aliased', 'prod', 'v1', { who: 'alice', approval: 'sha256:aa' })).toEqual({ from: null, changed: true });
    expect(await reg.setAlias('aliased', 'prod', 'v2', { who: 'bob', approval: null })).toEqual({ from: 'v1', changed: true });
    expect(await reg.setAlias('aliased', 'prod', 'v2', { who: 'bob', approval: null })).toEqual({ from: 'v2', changed: false });
    expect(await codeOf(reg.setAlias('aliased', 'prod', 'v9', { who: 'eve', approval: null }))).toBe('REGISTRY_REFUSED');
    expect(await reg.resolveAlias('aliased', 'prod')).toBe('v2');
    expect(await reg.aliasHistory('aliased')).toMatchObject([
      { alias: 'prod', from: null, to: 'v1', who: 'alice', approval: 'sha256:aa' },
      { alias: 'prod', from: 'v1', to: 'v2', who: 'bob', approval: null },
    ]);

    // Two movers flipping it back and forth while a reader watches: the reader always finds a
    // version, and the history is one unbroken chain (each move starts where the last one ended).
    const movers = [reg, new SshDirRegistry(await connect(), 'registry')];
    const watcher = new SshDirRegistry(await connect(), 'registry');
    let moving = true;
    const readings = new Set<string | null>();
    const watch = (async () => {
      while (moving) readings.add(await watcher.resolveAlias('aliased', 'prod'));
    })();
    await Promise.all(
      movers.map(async (m, i) => {
        for (let k = 0; k < 8; k++) await m.setAlias('aliased', 'prod', (k + i) % 2 ? 'v1' : 'v2', { who: `mover${i}`, approval: null });
      }),
    );
    moving = false;
    await watch;
    expect([...readings].every((r) => r === 'v1' || r === 'v2')).toBe(true);
    const history = await reg.aliasHistory('aliased');
    for (let i = 1; i < history.length; i++) expect(history[i]!.from).toBe(history[i - 1]!.to);
    expect(history.at(-1)!.to).toBe(await reg.resolveAlias('aliased', 'prod'));
    expect(await reg.listAliases('aliased')).toEqual([{ alias: 'prod', version: history.at(-1)!.to }]);
    expect(fs.readdirSync(regDir('aliased', 'aliases')).sort()).toEqual(['.lock', 'prod']); // no temp file left
  });

  it('keeps approvals.log whole lines under concurrent writers, over SSH and locally', async () => {
    const writers = [new SshDirRegistry(await connect(), 'registry'), new SshDirRegistry(await connect(), 'registry'), new SshDirRegistry(new LocalAccess(), regDir())];
    const before = (await writers[0]!.approvalsLog()).length;
    const sent: string[] = [];
    await Promise.all(
      writers.map(async (w, i) => {
        for (let k = 0; k < 12; k++) {
          // Some lines bigger than cat's 128 KiB buffer, so a line written in pieces would interleave.
          const entry = { digest: `sha256:${i}-${k}`, payload: String(i).repeat(k % 3 === 0 ? 400_000 : 200), signature: 'sig', model: 'llama', version: 'v1', at: new Date().toISOString() };
          sent.push(JSON.stringify(entry));
          await w.appendApproval(k % 2 ? entry : JSON.stringify(entry));
        }
      }),
    );
    const lines = (await writers[0]!.approvalsLog()).slice(before);
    expect(lines.length).toBe(36);
    expect([...lines].sort()).toEqual([...sent].sort());
    expect(fs.readdirSync(regDir()).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(await codeOf(writers[0]!.appendApproval('{"a":1}\n{"b":2}'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(writers[0]!.appendApproval('not json'))).toBe('VALIDATION_FAILED');
  });

  it('works the same on this machine (LocalAccess), with a size that is no multiple of the chunk', async () => {
    const reg = new SshDirRegistry(new LocalAccess(), regDir());
    expect(await reg.versionManifest('local', 'v1')).toBeNull();
    const size = 20 * MiB + 3;
    const asked: number[] = [];
    const { stagingDir } = await reg.beginVersion('local');
    await reg.writeStagedFile(stagingDir, 'part/w.bin', fileReader(bigFile, asked), size);
    expect(asked).toEqual([8 * MiB, 8 * MiB, 4 * MiB + 3]);
    await reg.writeStagedText(stagingDir, 'manifest.json', '{}');
    const digest = sha(fs.readFileSync(bigFile).subarray(0, size));
    await reg.commitVersion('local', 'v1', stagingDir, [{ path: 'part/w.bin', sha256: digest }]);
    expect(await reg.hashFiles('local', 'v1')).toEqual([{ path: 'part/w.bin', sha256: digest, size }]);
    expect((await reg.versionManifest('local', 'v1'))!.toString()).toBe('{}');
    // The same registry seen over SSH.
    expect(await new SshDirRegistry(await connect(), 'registry').listVersions('local')).toEqual(['v1']);
  });

  it('refuses bad names and paths that are not its own, touching nothing', async () => {
    const reg = new SshDirRegistry(await connect(), 'registry');
    for (const model of ['', '.hidden', '../up', 'a/b', 'x'.repeat(129), 'sp ace', 'approvals.log', 'allowed_signers', "it's"]) {
      expect(await codeOf(reg.beginVersion(model))).toBe('VALIDATION_FAILED');
    }
    for (const version of ['aliases', 'aliases.log', '.staging-x', '..', 'v1;rm -rf ~']) {
      expect(await codeOf(reg.versionManifest('llama', version))).toBe('VALIDATION_FAILED');
    }
    expect(await codeOf(reg.setAlias('llama', '../prod', 'v1', { who: 'x', approval: null }))).toBe('VALIDATION_FAILED');
    const { stagingDir } = await reg.beginVersion('llama');
    for (const rel of ['../escape', '/abs', 'a//b', 'a/./b', 'back\\slash', 'new\nline', '']) {
      expect(await codeOf(reg.writeStagedFile(stagingDir, rel, bufReader(Buffer.from('x')), 1))).toBe('VALIDATION_FAILED');
    }
    expect(await codeOf(reg.writeStagedText(stagingDir, 'SHA256SUMS', 'forged'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(reg.writeStagedText(stagingDir, 'files', 'x'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(reg.abortVersion('registry/llama/v1'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(reg.abortVersion('/tmp/.staging-' + '0'.repeat(32)))).toBe('VALIDATION_FAILED');
    expect(await codeOf(reg.commitVersion('racy', 'v9', stagingDir, []))).toBe('VALIDATION_FAILED'); // another model's upload
    await reg.abortVersion(stagingDir);
    expect(stagingDirs('llama')).toEqual([]);
    expect(await reg.listVersions('llama')).toEqual(['v1']);
  });
});
