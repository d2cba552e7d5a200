// Pushing approved models to real registries on loopback: Debian's docker-registry (basic auth, and a
// bearer-token realm behind a counting proxy) and a directory on an SSH host owned by a second user.
// The model is trained on an SSH host, tested, approved with a real key; pushes resume after a cut
// link, a registry restart and a killed app without re-sending finished blobs and leave no tag until
// the end; aliases move only to models that verify; a fresh data directory verifies with the registry
// and the allowed signers alone, and OpenSSH's ssh-keygen accepts the approval fetched from it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import type { Run } from '../../src/shared/domain/run';
import { startRegistry, type TestRegistry } from '../support/registry.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { BIN, cli, tempDir } from '../support/tunebench';

let sshd: TestSshd;
let basicReg: TestRegistry;
let tokenReg: TestRegistry;
const dataDir = tempDir('tb-registry-');
const runRoot = tempDir('tb-registry-runs-');
const work = tempDir('tb-registry-files-');
const CHUNK = 64 * 1024;
process.env.TUNEBENCH_PUSH_CHUNK_BYTES = String(CHUNK);
let run: Run;
let approve: string;
let reject: string;
let signersFile: string;
const NS = 'tunebench-approval';

const open = (): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', checkOutputs: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (err) {
    return { code: (err as CallError).info?.code ?? 'THROWN', message: (err as Error).message };
  }
}

async function waitRun(e: Engine, id: string): Promise<Run> {
  for (let i = 0; i < 1200; i++) {
    const r = await e.call('runs.sync', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(r.status)) return r;
    await sleep(200);
  }
  throw new Error(`run ${id} did not end`);
}

/** Signs a decision on a fresh bundle of the test run with bob's key and records it. */
async function decideAndImport(e: Engine, testRun: string, decision: 'approve' | 'reject', bobKey: string): Promise<string> {
  const zip = path.join(work, `bundle-${decision}.zip`);
  const exported = await e.call('reviews.export', { testRun, out: zip });
  const signed = await e.call('reviews.decide', { bundle: exported.bundle.id, decision, comment: decision, waivers: [], confirm: 'llama-chat', keyFile: bobKey, override: 'demo model' });
  return (await e.call('approvals.import', { text: JSON.stringify(signed.file) })).digest;
}

beforeAll(async () => {
  sshd = await startSshd({ secondUser: true });
  [basicReg, tokenReg] = await Promise.all([startRegistry({ auth: 'basic' }), startRegistry({ auth: 'token', proxy: true })]);
  const bob = path.join(work, 'bob');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', bob]);
  signersFile = path.join(work, 'allowed_signers');
  fs.writeFileSync(signersFile, `bob@example.com namespaces="${NS}" ${fs.readFileSync(`${bob}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const e = open();
  try {
    await e.call('projects.create', { name: 'llama-chat' });
    await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
    await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
    await e.call('hosts.add', {
      name: 'regbox',
      hostname: '127.0.0.1',
      port: sshd.port,
      user: sshd.second!.user,
      identityFile: sshd.clientKey,
      python: '/usr/bin/python3',
      runRoot: `${sshd.second!.home}/runs`,
    });
    // A model of a few MB (d_model 256), so pushes have chunks to cut between.
    const launched = await e.call('runs.launch', { project: 'llama-chat', host: 'box', recipe: 'demo-lora-torch', params: { pretrain_steps: 10, steps: 2, d_model: 256, seed: 3 } });
    run = await waitRun(e, launched.id);
    expect(run.status, run.lastError ?? '').toBe('SUCCEEDED');
    await e.call('candidates.propose', { run: run.id, reason: 'release candidate' });
    const suite = {
      name: 'quick',
      version: 1,
      cases: [0, 1, 2, 3, 4, 5].map((i) =>
        i % 2
          ? { id: `ppl-${i}`, kind: 'perplexity', input: `### Instruction:\nWhat does LoRA train? ${i}\n### Response:\nTwo small matrices.\n` }
          : { id: `pick-${i}`, kind: 'choice', input: '### Instruction:\nTranslate to French: good morning\n### Response:\n', options: ['Bonjour.', 'Au revoir.'], expect: 'Bonjour.' },
      ),
    };
    await e.call('suites.add', { project: 'llama-chat', fileName: 'quick.json', text: JSON.stringify(suite) });
    const t = await e.call('tests.start', { project: 'llama-chat', candidate: run.id, suite: 'quick', baseline: 'base' });
    expect((await waitRun(e, t.id)).status).toBe('SUCCEEDED');
    await e.call('approvals.setRules', { project: 'llama-chat', allowedSigners: fs.readFileSync(signersFile, 'utf8') });
    approve = await decideAndImport(e, t.id, 'approve', bob);
    reject = await decideAndImport(e, t.id, 'reject', bob);
    // The approval names exactly the model the runner hashed on the host.
    expect(fs.existsSync(path.join(run.remoteDir, 'outputs', 'merged.safetensors'))).toBe(true);
  } finally {
    e.close();
  }
}, 400_000);

afterAll(async () => {
  await Promise.all([basicReg?.stop(), tokenReg?.stop()]);
  await sshd?.stop();
});

describe('an SSH directory registry', () => {
  it('takes an approved model, verifies it, moves production, and hands it back byte for byte', { timeout: 120_000 }, async () => {
    const e = open();
    try {
      await e.call('registries.add', { name: 'team-ssh', ssh: `regbox:${sshd.second!.home}/registry` });
      const p = await e.call('registries.push', { approval: approve, to: 'team-ssh' });
      expect(p).toMatchObject({ status: 'done', model: 'llama-chat' });
      const v = await e.call('registries.verify', { registry: 'team-ssh', ref: `llama-chat@${p.version}`, deep: true });
      expect(v.ok, v.summary).toBe(true);
      expect(await codeOf(e.call('registries.alias', { registry: 'team-ssh', model: 'llama-chat', version: p.version, alias: 'production', confirm: 'nope' }))).toMatchObject({
        code: 'ALIAS_REFUSED',
      });
      const moved = await e.call('registries.alias', { registry: 'team-ssh', model: 'llama-chat', version: p.version, alias: 'production', confirm: 'llama-chat' });
      expect(moved.move).toMatchObject({ alias: 'production', from: null, to: p.version });
      expect((await e.call('projects.get', { ref: 'llama-chat' })).production).toMatchObject({ runId: run.id });
      const models = await e.call('registries.models', { name: 'team-ssh' });
      expect(models[0]).toMatchObject({ name: 'llama-chat', aliases: [{ alias: 'production', version: p.version }] });
      expect(models[0]!.history).toHaveLength(1);
      const dest = tempDir('tb-pulled-ssh-');
      await e.call('registries.pull', { registry: 'team-ssh', ref: 'llama-chat:production', to: dest });
      expect(sha(path.join(dest, 'outputs/merged.safetensors'))).toBe(sha(path.join(run.remoteDir, 'outputs/merged.safetensors')));
      // The registry on disk: write-once version, SHA256SUMS that checks out there, the chain in approvals.log.
      const root = `${sshd.second!.home}/registry`;
      expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: `${root}/llama-chat/${p.version}` }).status).toBe(0);
      expect(fs.readFileSync(`${root}/approvals.log`, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(1);
    } finally {
      e.close();
    }
  });

  it('two pushes of the same version race: one publishes, the other finds it done, no staging left', { timeout: 60_000 }, async () => {
    const [a, b] = [open(), open()];
    try {
      const results = await Promise.all([a, b].map((e) => e.call('registries.push', { approval: approve, to: 'team-ssh', version: 'race-1' })));
      expect(results.map((r) => r.status)).toEqual(['done', 'done']);
      const dir = `${sshd.second!.home}/registry/llama-chat`;
      expect(fs.readdirSync(dir).filter((d) => d.startsWith('.staging-'))).toEqual([]);
      expect(fs.readdirSync(dir)).toContain('race-1');
    } finally {
      a.close();
      b.close();
    }
  });
  it('a second push of a version this app is pushing now is refused, saying to wait; the other ends done', { timeout: 60_000 }, async () => {
    const e = open();
    try {
      // Two at once (a double click): whichever gets there first pushes, the other is refused.
      const both = await Promise.allSettled([0, 1].map(() => e.call('registries.push', { approval: approve, to: 'team-ssh', version: 'twice-1' })));
      const done = both.filter((r) => r.status === 'fulfilled');
      const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(done.map((r) => r.value.status)).toEqual(['done']);
      expect(refused.map((r) => ({ code: r.reason.info.code, message: r.reason.message }))).toEqual([
        { code: 'PUSH_REFUSED', message: expect.stringMatching(/llama-chat@twice-1 is being pushed to team-ssh now: wait for that push to end/) },
      ]);
      // Once it ended, pushing it again is allowed (and finds it done).
      expect((await e.call('registries.push', { approval: approve, to: 'team-ssh', version: 'twice-1' })).status).toBe('done');
    } finally {
      e.close();
    }
  });
});

describe('an OCI registry (docker-registry)', () => {
  let version: string;

  it('pushes with basic auth, refuses wrong credentials, verifies, moves production and pulls', { timeout: 120_000 }, async () => {
    const e = open();
    try {
      await e.call('registries.add', { name: 'oci', oci: `${basicReg.url}/team` });
      expect(await codeOf(e.call('registries.push', { approval: approve, to: 'oci' }))).toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
      await e.call('registries.login', { name: 'oci', username: basicReg.user, password: 'wrong' });
      expect(await codeOf(e.call('registries.push', { approval: approve, to: 'oci' }))).toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
      await e.call('registries.login', { name: 'oci', username: basicReg.user, password: basicReg.password });
      const p = await e.call('registries.push', { approval: approve, to: 'oci' });
      version = p.version;
      expect(p.status).toBe('done');
      // The weights went from their SSH host straight to the registry (the pusher ran there), not through this process.
      expect(fs.existsSync(path.join(runRoot, '.tb-push', 'push_blobs.py'))).toBe(true);
      // And relayed through the app when the host may not reach the registry: same blobs, another version.
      process.env.TUNEBENCH_PUSH_DIRECT = '0';
      try {
        const relayed = await e.call('registries.push', { approval: approve, to: 'oci', version: 'relayed' });
        expect(relayed).toMatchObject({ status: 'done', bytesSkipped: relayed.bytesTotal });
      } finally {
        delete process.env.TUNEBENCH_PUSH_DIRECT;
      }
      const v = await e.call('registries.verify', { registry: 'oci', ref: `llama-chat@${version}`, deep: true });
      expect(v.ok, v.summary).toBe(true);
      expect(v.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['signature', 'model bytes', 'chain']));
      await e.call('registries.alias', { registry: 'oci', model: 'llama-chat', version, alias: 'production', confirm: 'llama-chat' });
      const models = await e.call('registries.models', { name: 'oci' });
      expect(models[0]!.aliases).toEqual([{ alias: 'production', version }]);
      expect(models[0]!.history[0]).toMatchObject({ alias: 'production', to: version });
      const dest = tempDir('tb-pulled-oci-');
      const pulled = await e.call('registries.pull', { registry: 'oci', ref: 'llama-chat:production', to: dest });
      expect(pulled.files.length).toBe(2);
      expect(sha(path.join(dest, 'outputs/merged.safetensors'))).toBe(sha(path.join(run.remoteDir, 'outputs/merged.safetensors')));
    } finally {
      e.close();
    }
  });

  it('refuses a rejected decision, bytes that are not the approved ones, and a tampered layer; nothing moves', { timeout: 120_000 }, async () => {
    const e = open();
    try {
      await e.call('registries.login', { name: 'oci', username: basicReg.user, password: basicReg.password });
      expect(await codeOf(e.call('registries.push', { approval: reject, to: 'oci' }))).toMatchObject({ code: 'PUSH_REFUSED', message: expect.stringContaining('"reject"') });
      const file = path.join(run.remoteDir, 'outputs/merged.safetensors');
      const original = fs.readFileSync(file);
      fs.chmodSync(file, 0o644);
      fs.appendFileSync(file, Buffer.from([0]));
      try {
        const r = await codeOf(e.call('registries.push', { approval: approve, to: 'oci', version: 'other-bytes' }));
        expect(r).toMatchObject({ code: 'PUSH_REFUSED', message: expect.stringContaining('not the approved bytes') });
      } finally {
        fs.writeFileSync(file, original);
      }
      // One byte of a layer blob changed on the registry's disk.
      const hex = sha(file);
      const blob = path.join(basicReg.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      const good = fs.readFileSync(blob);
      const bad = Buffer.from(good);
      bad.writeUInt8(bad.readUInt8(1000) ^ 1, 1000);
      fs.writeFileSync(blob, bad);
      try {
        const v = await e.call('registries.verify', { registry: 'oci', ref: `llama-chat@${version}`, deep: true });
        expect(v.ok).toBe(false);
        const r = await codeOf(e.call('registries.alias', { registry: 'oci', model: 'llama-chat', version, alias: 'staging' }));
        expect(r.code).toBe('ALIAS_REFUSED');
        expect((await e.call('registries.models', { name: 'oci' }))[0]!.aliases.map((a) => a.alias)).toEqual(['production']);
      } finally {
        fs.writeFileSync(blob, good);
      }
    } finally {
      e.close();
    }
  });

  it('verifies from a data directory that never saw the run, and ssh-keygen accepts the approval fetched', { timeout: 60_000 }, () => {
    const fresh = tempDir('tb-registry-fresh-');
    expect(cli(['registry', 'add', 'oci', '--oci', `${basicReg.url}/team`], { dataDir: fresh }).code).toBe(0);
    const docker = tempDir('tb-docker-');
    const env = { DOCKER_CONFIG: docker };
    const login = spawnSync(process.execPath, [BIN, 'registry', 'login', 'oci', '--username', basicReg.user, '--password-stdin', '--data-dir', fresh], {
      input: `${basicReg.password}\n`,
      encoding: 'utf8',
      env: { ...process.env, ...env, TUNEBENCH_HOME: '' },
    });
    expect(login.status, login.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(docker, 'config.json'), 'utf8')).auths[basicReg.host]).toBeTruthy();
    const out = path.join(work, 'fetched');
    const v = cli(['registry', 'verify', 'oci', 'llama-chat:production', '--allowed-signers', signersFile, '--approval-out', out, '--json'], { dataDir: fresh, env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.json()).toMatchObject({ ok: true, reviewer: 'bob@example.com', decision: 'approve' });
    const keygen = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', signersFile, '-I', 'bob@example.com', '-n', NS, '-s', path.join(out, 'approval.json.sig')], {
      input: fs.readFileSync(path.join(out, 'approval.json')),
      encoding: 'utf8',
    });
    expect(keygen.status, keygen.stderr).toBe(0);
  });

  it('resumes after a cut link, a registry restart and a killed app, re-sending no finished blob and tagging only at the end', { timeout: 180_000 }, async () => {
    const proxy = tokenReg.proxy!;
    const docker = tempDir('tb-docker-tok-');
    const env = { ...process.env, TUNEBENCH_HOME: '', TUNEBENCH_PUSH_CHUNK_BYTES: String(CHUNK), DOCKER_CONFIG: docker };
    expect(cli(['registry', 'add', 'tok', '--oci', `${proxy.url}/ml`], { dataDir }).code).toBe(0);
    // The login goes where docker keeps it, so every process (the CLI that gets killed too) finds it.
    const login = spawnSync(process.execPath, [BIN, 'registry', 'login', 'tok', '--username', tokenReg.user, '--password-stdin', '--data-dir', dataDir], {
      input: tokenReg.password,
      encoding: 'utf8',
      env,
    });
    expect(login.status, login.stderr).toBe(0);
    const merged = sha(path.join(run.remoteDir, 'outputs/merged.safetensors'));
    const size = fs.statSync(path.join(run.remoteDir, 'outputs/merged.safetensors')).size;
    const runJson = sha(path.join(run.remoteDir, 'run.json'));
    const version = merged.slice(0, 12);
    // The token realm and the proxy live in this process: the CLI must run without blocking it (no spawnSync).
    const run$ = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { env });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d) => (stdout += d));
        c.stderr.on('data', (d) => (stderr += d));
        c.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const tags = async () => (JSON.parse((await run$(['registry', 'show', 'tok', '--json'])).stdout)[0]?.versions ?? []).map((v: { version: string }) => v.version);
    const push = () => spawn(process.execPath, [BIN, 'registry', 'push', approve, '--to', 'tok', '--version', version, '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'], env });
    const exit = (child: ReturnType<typeof spawn>) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
    const waitBytes = async (n: number, child: ReturnType<typeof spawn>) => {
      const from = proxy.totalBytes;
      for (let i = 0; i < 20_000 && proxy.totalBytes < from + n && child.exitCode === null; i++) await sleep(1);
    };
    proxy.setDelay(25); // ~100 chunks: a push takes a couple of seconds, time to cut, restart and kill in
    // 1. The link drops a third of the way into the weights.
    proxy.cutAfter(Math.floor(size / 3));
    expect(await exit(push())).not.toBe(0);
    expect(proxy.cuts).toBe(1);
    expect(await tags()).toEqual([]);
    // 2. The registry restarts (a crash: SIGKILL) while the push goes on.
    let child = push();
    await waitBytes(CHUNK * 5, child);
    expect(child.exitCode, 'the push was still going when the registry went down').toBe(null);
    await tokenReg.kill(); // a crash; it stays down until the push has given up
    expect(await exit(child), 'a push whose registry died fails').not.toBe(0);
    await tokenReg.restart();
    expect(await tags()).toEqual([]);
    // 3. The app is killed mid-push: right after the weights' blob is finished, before the version tag.
    child = push();
    for (let i = 0; i < 20_000 && proxy.uploadsFor(`sha256:${merged}`).length === 0 && child.exitCode === null; i++) await sleep(1);
    expect(child.exitCode).toBe(null);
    child.kill('SIGKILL');
    await exit(child);
    expect(await tags(), 'no version tag before a push ends').toEqual([]);
    const mergedBytes = proxy.digestBytes(`sha256:${merged}`);
    expect(mergedBytes).toBeGreaterThan(0);
    proxy.setDelay(0);
    const done = await run$(['registry', 'push', approve, '--to', 'tok', '--version', version, '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'done', bytesSkipped: expect.any(Number) });
    expect(await tags()).toEqual([version]);
    // The weights were finished before the kill: the last push sent them no byte again.
    expect(proxy.digestBytes(`sha256:${merged}`)).toBe(mergedBytes);
    // Over a cut, a restart and a kill, the weights went up less than twice: resumed, not restarted each time.
    expect(mergedBytes).toBeLessThan(size * 2);
    expect(proxy.digestBytes(`sha256:${runJson}`)).toBeGreaterThan(0);
    const v = await run$(['registry', 'verify', 'tok', `llama-chat@${version}`, '--deep', '--json']);
    expect(JSON.parse(v.stdout).ok, v.stdout).toBe(true);
    expect(tokenReg.tokenRequests!.some((t) => t.scopes.some((s) => s.includes('push')))).toBe(true);
  });
});
