// What a launch puts on a host, against a real OpenSSH server whose sessions run with umask 000 (a
// ~/.bashrc that says so): run, test-run and dataset folders 0700 and their files 0600 or stricter,
// whatever the umask; code links kept as links and never read through when they leave the code
// directory; datasets of any size hashed and uploaded as streams.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { CallError } from '../../src/main/rpc/dispatch';
import type { Run } from '../../src/shared/domain/run';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let sshd: TestSshd;
let dataDir: string;
let runRoot: string;
let home: string;

const SECRET = '-----BEGIN OPENSSH PRIVATE KEY----- not-for-the-gpu-host';
const open = (): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForEnd(engine: Engine, id: string, timeoutMs = 60_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.call('runs.sync', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
    await sleep(200);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as CallError).info?.code ?? String(err);
  }
}

/** Everything under `root` (links not followed) that its group or others may read, write or enter. */
function notPrivate(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return; // a link's own mode is always 0777 and means nothing
    if (st.mode & 0o077) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(root);
  return out;
}

/** Regular files under `root` (links not followed) whose bytes contain `needle`. */
function filesContaining(root: string, needle: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    else if (st.isFile() && st.size < 64 * 1024 * 1024 && fs.readFileSync(p).includes(needle)) out.push(path.relative(root, p));
  };
  visit(root);
  return out;
}

const modeOf = (p: string) => (fs.lstatSync(p).mode & 0o777).toString(8);
const sha256File = async (file: string) => {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 8 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
};

/** A git repository whose code links in and out, and a secret outside it. */
function codeRepo(): string {
  const outside = tempDir('tb-outside-');
  fs.writeFileSync(path.join(outside, 'id_rsa'), SECRET);
  fs.mkdirSync(path.join(outside, 'keys'));
  fs.writeFileSync(path.join(outside, 'keys', 'token'), SECRET);
  const repo = tempDir('tb-code-');
  const g = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { stdio: 'ignore' });
  g('init', '-q');
  fs.writeFileSync(path.join(repo, 'train.sh'), 'mkdir -p outputs checkpoints/step-1\necho weights > outputs/model.bin\necho state > checkpoints/step-1/state.bin\necho trained\n');
  fs.writeFileSync(path.join(repo, 'tool.sh'), '#!/bin/sh\necho tool ran\n', { mode: 0o755 });
  fs.mkdirSync(path.join(repo, 'sub'));
  fs.writeFileSync(path.join(repo, 'sub', 'mod.txt'), 'from sub\n');
  fs.symlinkSync('train.sh', path.join(repo, 'alias.sh'));
  fs.symlinkSync('sub', path.join(repo, 'lib'));
  fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(repo, 'creds'));
  fs.symlinkSync(path.join(outside, 'keys'), path.join(repo, 'keys'));
  g('add', '.');
  g('commit', '-q', '-m', 'first');
  return repo;
}

beforeAll(async () => {
  // The SSH user's shell start-up file sets umask 000: every shell command the engine runs there
  // starts from it (Debian's bash reads ~/.bashrc for commands run over SSH).
  home = tempDir('tb-home-');
  fs.writeFileSync(path.join(home, '.bashrc'), 'umask 000\n');
  sshd = await startSshd({ env: { HOME: home } });
  dataDir = tempDir('tb-files-');
  runRoot = tempDir('tb-files-remote-');
  const e = open();
  try {
    await e.call('projects.create', { name: 'p', baseModel: 'org/base' });
    await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
    await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
  } finally {
    e.close();
  }
});

afterAll(async () => {
  await sshd?.stop();
});

describe('files on the host', () => {
  it('are private under a umask of 000: run, test run and dataset store, whatever the run writes', { timeout: 120_000 }, async () => {
    const ssh = execFileSync(
      'ssh',
      ['-p', String(sshd.port), '-i', sshd.clientKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${sshd.user}@127.0.0.1`, 'umask'],
      { encoding: 'utf8' },
    );
    expect(ssh.trim()).toBe('0000'); // the test means something only if the host's shell is this permissive
    const dataset = path.join(tempDir('tb-data-'), 'chat.jsonl');
    fs.writeFileSync(dataset, '{"instruction": "hi", "response": "hello"}\n'.repeat(20));
    const e = open();
    try {
      const run = await e.call('runs.launch', {
        project: 'p',
        host: 'box',
        recipe: 'custom',
        params: { command: 'sh train.sh && ./tool.sh && wc -l < ../data/chat.jsonl' },
        code: codeRepo(),
        dataset,
      });
      const done = await waitForEnd(e, run.id);
      expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
      expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual(['trained', 'tool ran', '20']);
      // A test run of it: claimed, uploaded and started the same way (its runner fails here without transformers; its files are what counts).
      const suite = makeDemoSuite(3);
      const cases = suite.cases.map(({ line: _line, ...c }) => c);
      await e.call('suites.add', { project: 'p', fileName: 'mini.json', text: JSON.stringify({ ...suite, name: 'mini', cases }) });
      const test = await e.call('tests.start', { project: 'p', candidate: run.id, suite: 'mini', baseline: 'base' });
      await waitForEnd(e, test.id);
      const testDir = (await e.call('runs.get', { id: test.id })).remoteDir;

      expect(notPrivate(runRoot)).toEqual([]);
      // And the modes each kind of file was given (not only what the umask took away).
      expect(modeOf(path.join(runRoot, 'runs'))).toBe('700');
      expect(modeOf(done.remoteDir)).toBe('700');
      expect(modeOf(path.join(done.remoteDir, 'run.json'))).toBe('400');
      expect(modeOf(path.join(done.remoteDir, '.tb', 'supervisor.py'))).toBe('700');
      expect(modeOf(path.join(done.remoteDir, '.tb', 'lib', 'tunebench', '__init__.py'))).toBe('600');
      expect(modeOf(path.join(done.remoteDir, '.tb', 'supervisor.log'))).toBe('600');
      expect(modeOf(path.join(done.remoteDir, 'logs', 'output.log'))).toBe('600');
      expect(modeOf(path.join(done.remoteDir, 'code', 'train.sh'))).toBe('600');
      expect(modeOf(path.join(done.remoteDir, 'code', 'tool.sh'))).toBe('700'); // executable here, executable there
      expect(modeOf(path.join(done.remoteDir, 'code', 'outputs', 'model.bin'))).toBe('600');
      expect(modeOf(path.join(done.remoteDir, 'code', 'checkpoints', 'step-1'))).toBe('700');
      const [digest] = fs.readdirSync(path.join(runRoot, 'datasets'));
      expect(modeOf(path.join(runRoot, 'datasets'))).toBe('700');
      expect(modeOf(path.join(runRoot, 'datasets', digest!))).toBe('700');
      expect(modeOf(path.join(runRoot, 'datasets', digest!, 'chat.jsonl'))).toBe('400');
      expect(modeOf(path.join(testDir, 'test.json'))).toBe('400');
      expect(modeOf(path.join(testDir, 'eval', 'evaluate.py'))).toBe('600');
    } finally {
      e.close();
    }
  });

  it('are private on this machine too, under a umask of 000', { timeout: 60_000 }, async () => {
    const before = process.umask(0);
    const e = open();
    try {
      const local = (await e.call('hosts.list', {})).find((h) => h.kind === 'local')!;
      const dataset = path.join(tempDir('tb-data-'), 'local.jsonl');
      fs.writeFileSync(dataset, 'x\n');
      const run = await e.call('runs.launch', { project: 'p', host: local.id, recipe: 'custom', params: { command: 'sh train.sh' }, code: codeRepo(), dataset });
      const done = await waitForEnd(e, run.id);
      expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
      expect(notPrivate(local.runRoot)).toEqual([]);
    } finally {
      e.close();
      process.umask(before);
    }
  });
});

describe('the supervisor', () => {
  it('keeps what it and the run write private when it is started under umask 000 (a batch script, a resume)', { timeout: 30_000 }, () => {
    const dir = tempDir('tb-sup-');
    fs.mkdirSync(path.join(dir, '.tb'), { mode: 0o700 });
    for (const sub of ['logs', 'outputs']) fs.mkdirSync(path.join(dir, sub), { mode: 0o700 });
    fs.copyFileSync(path.join(__dirname, '..', '..', 'resources', 'remote', 'supervisor.py'), path.join(dir, '.tb', 'supervisor.py'));
    fs.chmodSync(path.join(dir, '.tb', 'supervisor.py'), 0o700);
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id: 'r', command: 'mkdir -p outputs/deep && echo w > outputs/deep/w.bin && echo done', env: {}, cancelGraceSeconds: 2 }), {
      mode: 0o400,
    });
    execFileSync('sh', ['-c', 'umask 000; /usr/bin/python3 .tb/supervisor.py . </dev/null >/dev/null 2>&1'], { cwd: dir, timeout: 20_000 });
    expect(fs.readFileSync(path.join(dir, 'logs', 'output.log'), 'utf8')).toBe('done\n');
    expect(notPrivate(dir)).toEqual([]);
  });
});

describe('code links', () => {
  it('upload in-tree links as links and nothing a link out of the code directory reaches', { timeout: 60_000 }, async () => {
    const e = open();
    try {
      const run = await e.call('runs.launch', { project: 'p', host: 'box', recipe: 'custom', params: { command: 'cat alias.sh lib/mod.txt | tail -n 2' }, code: codeRepo() });
      const done = await waitForEnd(e, run.id);
      expect(done.status, done.lastError ?? '').toBe('SUCCEEDED');
      expect(filesContaining(runRoot, SECRET)).toEqual([]);
      // The links work on the host: they point at the uploaded files.
      expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual(['echo trained', 'from sub']);
      const code = path.join(done.remoteDir, 'code');
      expect(fs.readlinkSync(path.join(code, 'alias.sh'))).toBe('train.sh');
      expect(fs.readlinkSync(path.join(code, 'lib'))).toBe('sub');
      expect(fs.existsSync(path.join(code, 'creds'))).toBe(false);
      expect(fs.existsSync(path.join(code, 'keys'))).toBe(false);
      const runJson = JSON.parse(fs.readFileSync(path.join(done.remoteDir, 'run.json'), 'utf8'));
      expect(runJson.code).toMatchObject({ files: 3, links: 2, notUploaded: [expect.objectContaining({ path: 'creds' }), expect.objectContaining({ path: 'keys' })] });
    } finally {
      e.close();
    }
  });
});

describe('datasets', () => {
  it('are uploaded as a stream: the copy is the file, and memory does not grow with its size', { timeout: 120_000 }, async () => {
    const file = path.join(tempDir('tb-data-'), 'random.bin');
    const size = 256 * 1024 * 1024 + 12_345;
    const fd = fs.openSync(file, 'w');
    for (let at = 0; at < size; at += 8 * 1024 * 1024) fs.writeSync(fd, crypto.randomBytes(Math.min(8 * 1024 * 1024, size - at)));
    fs.closeSync(fd);
    const e = open();
    let peak = 0;
    const base = process.memoryUsage().arrayBuffers;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 5);
    try {
      const run = await e.call('runs.launch', { project: 'p', host: 'box', recipe: 'custom', params: { command: 'true' }, dataset: file });
      clearInterval(sampler);
      // Read whole, the file alone would be 256 MiB of buffers; streamed, what is left is the SSH layer's garbage until a GC.
      expect(peak).toBeLessThan(128 * 1024 * 1024);
      const done = await waitForEnd(e, run.id);
      const stored = path.join(done.remoteDir, 'data', 'random.bin');
      expect(await sha256File(stored)).toBe(await sha256File(file));
      expect(JSON.parse(fs.readFileSync(path.join(done.remoteDir, 'run.json'), 'utf8')).dataset).toMatchObject({ sha256: await sha256File(file), bytes: size });
      fs.rmSync(file);
      fs.rmSync(fs.realpathSync(stored));
    } finally {
      clearInterval(sampler);
      e.close();
    }
  });

  it('of more than 2 GiB are hashed in chunks and launch (a copy already on the host is not sent again)', { timeout: 120_000 }, async () => {
    const file = path.join(tempDir('tb-data-'), 'big.bin');
    const size = 2.5 * 1024 ** 3;
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, size); // sparse: no disk used
    const digest = await sha256File(file);
    // The host has it already (a sparse copy too): the launch must hash the local file, and only that.
    fs.mkdirSync(path.join(runRoot, 'datasets', digest), { recursive: true });
    fs.closeSync(fs.openSync(path.join(runRoot, 'datasets', digest, 'big.bin'), 'w'));
    fs.truncateSync(path.join(runRoot, 'datasets', digest, 'big.bin'), size);
    const e = open();
    const rss = process.memoryUsage().rss;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - rss)), 5);
    try {
      const run = await e.call('runs.launch', { project: 'p', host: 'box', recipe: 'custom', params: { command: 'wc -c < data/big.bin' }, dataset: file });
      clearInterval(sampler);
      await waitForEnd(e, run.id);
      expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual([String(size)]);
      expect(peak).toBeLessThan(256 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      e.close();
    }
  });

  it.each([
    ['grows', (file: string) => fs.appendFileSync(file, 'one more line\n')],
    [
      'is rewritten in place',
      (file: string) => {
        const fd = fs.openSync(file, 'r+');
        fs.writeSync(fd, Buffer.from('X'), 0, 1, 18 * 1024 * 1024); // in a chunk not read yet
        fs.closeSync(fd);
      },
    ],
  ])('are refused with DATASET_CHANGED when the file %s during the upload, leaving no part behind', { timeout: 60_000 }, async (_what, change) => {
    const file = path.join(tempDir('tb-data-'), 'moving.bin');
    fs.writeFileSync(file, crypto.randomBytes(20 * 1024 * 1024));
    const e = open();
    // The file changes as the first chunk goes out, after it was hashed for the launch.
    const access = e.hosts.access.bind(e.hosts);
    let changed = false;
    e.hosts.access = async (...args: Parameters<typeof access>) => {
      const a = await access(...args);
      const writeRange = a.writeRange.bind(a);
      a.writeRange = async (...w: Parameters<typeof writeRange>) => {
        if (!changed) {
          changed = true;
          change(file);
        }
        return writeRange(...w);
      };
      return a;
    };
    try {
      const launch = e.call('runs.launch', { project: 'p', host: 'box', recipe: 'custom', params: { command: 'true' }, dataset: file });
      expect(await codeOf(launch)).toBe('DATASET_CHANGED');
      await expect(launch).rejects.toThrow(/changed while it was uploaded.*Launch again once nothing writes to it/);
      const stored = fs.readdirSync(path.join(runRoot, 'datasets')).flatMap((d) => fs.readdirSync(path.join(runRoot, 'datasets', d)));
      expect(stored.filter((f) => f.startsWith('moving.bin'))).toEqual([]);
    } finally {
      e.close();
    }
  });

  it('say DATASET_NOT_FOUND for a missing file or a folder, and follow a link the user names', { timeout: 60_000 }, async () => {
    const e = open();
    try {
      const launch = (dataset: string) => e.call('runs.launch', { project: 'p', host: 'box', recipe: 'custom', params: { command: 'cat data/*' }, dataset });
      const missing = launch('/no/such.jsonl');
      expect(await codeOf(missing)).toBe('DATASET_NOT_FOUND');
      await expect(missing).rejects.toThrow(/Cannot read the dataset \/no\/such\.jsonl.*Give a readable local file/);
      expect(await codeOf(launch(tempDir('tb-data-')))).toBe('DATASET_NOT_FOUND');
      const dir = tempDir('tb-data-');
      fs.writeFileSync(path.join(dir, 'v2.jsonl'), 'linked\n');
      fs.symlinkSync(path.join(dir, 'v2.jsonl'), path.join(dir, 'current.jsonl'));
      const run = await launch(path.join(dir, 'current.jsonl'));
      await waitForEnd(e, run.id);
      expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual(['linked']);
      expect(fs.readdirSync(path.join(run.remoteDir, 'data'))).toEqual(['current.jsonl']);
    } finally {
      e.close();
    }
  });
});
