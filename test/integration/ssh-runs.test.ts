// Remote runs against a real OpenSSH server on loopback: host keys, launch, lossless streaming
// through dropped links and an app restart, cancel of a whole process group, malformed metrics.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import type { Run } from '../../src/shared/domain/run';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, tempDir } from '../support/tunebench';
import { until as waitUntil, codeOf, sleep } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 20_000) => waitUntil(what, check, timeoutMs, 50);

let sshd: TestSshd;
let dataDir: string;
let runRoot: string;

const open = (syncMs = 0): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: syncMs, checkOutputs: true });

async function waitForEnd(engine: Engine, id: string, timeoutMs = 60_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.call('runs.sync', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
    await sleep(200);
  }
}

/** The run's remote files, read directly, versus what the tracker stored. */
async function expectExactCopy(engine: Engine, run: Run) {
  const remoteLog = fs.readFileSync(abs(run.remoteDir, 'logs/output.log'), 'utf8');
  const remoteLines = remoteLog.split('\n').slice(0, -1);
  const stored = await engine.call('runs.logs', { id: run.id, limit: 100_000 });
  expect(stored.map((l) => l.text)).toEqual(remoteLines);
  expect(stored.map((l) => l.n)).toEqual(remoteLines.map((_, i) => i + 1));
  const remoteMetrics = fs
    .readFileSync(abs(run.remoteDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      const o = JSON.parse(l);
      return Object.entries(o.m as Record<string, number>).map(([name, value]) => `${o.seq}|${name}|${value}`);
    })
    .sort();
  const points = (await engine.call('runs.metrics', { id: run.id }))
    .filter((p) => p.stream === 'metrics')
    .map((p) => `${p.seq}|${p.name}|${p.value}`)
    .sort();
  expect(points).toEqual(remoteMetrics);
  expect(points.length).toBeGreaterThan(0);
}
/** Remote paths are absolute here (the test's run root), or relative to the SSH user's home. */
const abs = (remoteDir: string, file: string) => (remoteDir.startsWith('/') ? path.join(remoteDir, file) : path.join(process.env.HOME ?? '/root', remoteDir, file));

beforeAll(async () => {
  sshd = await startSshd();
  dataDir = tempDir('tb-ssh-');
  runRoot = tempDir('tb-remote-');
  const e = open();
  await e.call('projects.create', { name: 'remote' });
  await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
  e.close();
});

afterAll(async () => {
  await sshd?.stop();
});

describe('an SSH host', () => {
  it('stays untrusted until the user trusts its fingerprint; nothing runs before', async () => {
    const e = open();
    try {
      expect(await codeOf(e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'touch /tmp/should-not-exist' } }))).toBe('HOST_KEY_UNKNOWN');
      expect(fs.existsSync(path.join(runRoot, 'runs'))).toBe(false);
      expect(fs.readFileSync(sshd.log, 'utf8')).not.toMatch(/Accepted publickey/);
      expect(await codeOf(e.call('hosts.trust', { ref: 'box', fingerprint: 'SHA256:' + 'A'.repeat(43) }))).toBe('FINGERPRINT_MISMATCH');
      const trusted = await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
      expect(trusted).toMatchObject({ alreadyTrusted: false, keyType: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint });
      const probe = await e.call('hosts.probe', { ref: 'box' });
      expect(probe.cpus).toBeGreaterThan(0);
      expect(probe.python.version).toMatch(/^3\./);
      expect(probe.gpus).toEqual([]);
    } finally {
      e.close();
    }
  });

  it('runs demo-lora-stdlib to SUCCEEDED, storing exactly the remote log lines and metric points', async () => {
    const e = open();
    try {
      const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'demo-lora-stdlib', params: { steps: 80, eval_every: 20, save_every: 40 } });
      expect(run.remoteDir).toBe(`${runRoot}/runs/${run.id}`);
      const done = await waitForEnd(e, run.id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, malformedLines: 0, disconnected: false });
      await expectExactCopy(e, done);
      const evals = (await e.call('runs.metrics', { id: run.id, name: 'eval_loss' })).map((p) => p.value!);
      expect(evals).toHaveLength(4);
      expect(evals[3]!).toBeLessThan(evals[0]!);
      expect(fs.existsSync(path.join(done.remoteDir, 'outputs', 'adapter.safetensors'))).toBe(true);
      expect(fs.existsSync(path.join(done.remoteDir, 'checkpoints', 'step-40', 'adapter.safetensors'))).toBe(true);
      const runJson = JSON.parse(fs.readFileSync(path.join(done.remoteDir, 'run.json'), 'utf8'));
      expect(runJson).toMatchObject({ id: run.id, recipe: 'demo-lora-stdlib', params: { steps: 80 } });
    } finally {
      e.close();
    }
  });

  it('shows a run disconnected while its link is down, then loses and repeats nothing, through an app restart too', async () => {
    let e = open(150);
    // Long enough (about 30 s) to outlast three cuts on a loaded machine: a run that ends before the third
    // cut is final, and a final run is never synced again, so it could not show the link down.
    const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'demo-lora-stdlib', params: { steps: 600, eval_every: 25, sleep_per_step: 0.05 } });
    const accepted = () => (fs.readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length;
    const acceptedBefore = accepted();
    let storedLines = 0;
    for (let i = 0; i < 3; i++) {
      // Lines are streaming in (the run is mid-way, the link carries data) when the link goes down.
      const before = storedLines;
      const streaming = await until(`the run RUNNING with more than ${before} stored log lines before cut ${i + 1}`, async () => {
        const r = await e.call('runs.get', { id: run.id });
        return r.status === 'RUNNING' && r.logLines > before && r;
      });
      await sshd.takeLinksDown();
      try {
        // While it is down, the run says so, and is not called failed or lost.
        const down = await until(`run shown disconnected during cut ${i + 1}`, async () => {
          const r = await e.call('runs.get', { id: run.id });
          return r.disconnected && r;
        });
        expect(down.status).toBe('RUNNING');
        expect(down.lastError).toBeTruthy();
      } finally {
        await sshd.restoreLinks();
      }
      // The link is back: the run is no longer disconnected, and lines flow again.
      const back = await until(`run reconnected after cut ${i + 1}`, async () => {
        const r = await e.call('runs.get', { id: run.id });
        return !r.disconnected && r.logLines > streaming.logLines && r;
      });
      storedLines = back.logLines;
    }
    e.close(); // the laptop's app quits mid-run ...
    const remoteLines = () => fs.readFileSync(abs(run.remoteDir, 'logs/output.log'), 'utf8').split('\n').length - 1;
    await until('the run to write lines the closed app has not stored', () => remoteLines() > storedLines + 20);
    e = open(150); // ... and comes back: streaming resumes from the stored cursors
    try {
      const done = await waitForEnd(e, run.id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', disconnected: false });
      // The app logged in again after each time the link came back.
      expect(accepted() - acceptedBefore).toBeGreaterThanOrEqual(3);
      await expectExactCopy(e, done);
    } finally {
      e.close();
    }
  }, 120_000);

  it('cancels the whole process group, grandchildren included', async () => {
    const e = open();
    try {
      const command = 'sh -c "sleep 300 & echo \\$! > grandchild.pid; wait" & echo $! > child.pid; wait';
      const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command } });
      const pidFile = path.join(run.remoteDir, 'grandchild.pid');
      await until(`${pidFile} to be written`, () => fs.existsSync(pidFile));
      const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(grandchild, 0)).not.toThrow();
      expect((await e.call('runs.cancel', { id: run.id })).status).toBe('CANCELLING');
      const done = await waitForEnd(e, run.id, 40_000);
      expect(done.status).toBe('CANCELLED');
      const leader = Number(fs.readFileSync(path.join(run.remoteDir, '.tb', 'pid'), 'utf8').split(' ')[0]);
      let alive = '';
      try {
        alive = execFileSync('pgrep', ['-g', String(leader)], { encoding: 'utf8' });
      } catch {
        // pgrep exits 1 when nothing matches: what we want
      }
      expect(alive).toBe('');
      expect(() => process.kill(grandchild, 0)).toThrow();
    } finally {
      e.close();
    }
  });

  it('calls a run LOST only when its heartbeat is stale, its process gone and no exit code left', async () => {
    // Stale after 5 s: long enough for the killed processes to be reaped while the heartbeat is still fresh,
    // so that "not yet" is the heartbeat's doing (a zombie still counts as alive on the host).
    const STALE_MS = 5000;
    const e = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', heartbeatStaleSeconds: STALE_MS / 1000 });
    try {
      const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'sleep 300' } });
      const pidFile = path.join(run.remoteDir, '.tb', 'pid');
      const statusFile = path.join(run.remoteDir, '.tb', 'status.json');
      await until('the run to start (pid and status files)', () => fs.existsSync(pidFile) && fs.existsSync(statusFile));
      expect((await e.call('runs.sync', { id: run.id })).status).toBe('RUNNING');
      // The host "reboots": supervisor and run die at once, leaving no exit code.
      const status = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
      const leader = Number(fs.readFileSync(pidFile, 'utf8').split(' ')[0]);
      process.kill(status.supervisorPid, 'SIGKILL');
      process.kill(-leader, 'SIGKILL');
      // Gone and reaped (a zombie would still look alive to the host).
      const gone = (pid: number) => !fs.existsSync(`/proc/${pid}`);
      await until('the supervisor and the run to be gone', () => gone(status.supervisorPid) && gone(leader));
      const lastBeat = fs.statSync(path.join(run.remoteDir, '.tb', 'heartbeat')).mtimeMs;
      expect(Date.now() - lastBeat, 'the processes took too long to go for "not yet" to be checked').toBeLessThan(STALE_MS - 1000);
      // The process is gone, but the heartbeat is fresh: not yet.
      expect((await e.call('runs.sync', { id: run.id })).status).toBe('RUNNING');
      // LOST once the heartbeat is stale, not before: while it is fresh, syncs say RUNNING (the margin is
      // for the file clock's coarseness and the sync's own time).
      const lost = await until('the run to turn LOST', async () => {
        const r = await e.call('runs.sync', { id: run.id });
        const age = Date.now() - lastBeat;
        if (r.status === 'LOST') expect(age).toBeGreaterThan(STALE_MS - 100);
        else expect(r.status).toBe('RUNNING');
        return r.status === 'LOST' && r;
      });
      expect(lost.lastError).toMatch(/No heartbeat/);
    } finally {
      e.close();
    }
  });

  it('reports malformed and huge metric lines, and keeps the good lines around them', async () => {
    const e = open();
    try {
      const script = [
        'import json',
        'f = open("metrics.jsonl", "w")',
        'f.write(json.dumps({"seq": 1, "ts": 1.0, "step": 1, "kind": "train", "m": {"loss": 2.5}}) + "\\n")',
        'f.write("not json at all\\n")',
        'f.write(\'{"seq": 2, "ts": 2.0, "step": 2, "m": {"loss": NaN}}\\n\')',
        'f.write(json.dumps({"ts": 3.0, "m": {"loss": 1}}) + "\\n")',
        'f.write(json.dumps({"seq": 3, "ts": 3.0, "step": 3, "m": {"blob": "x" * (2 * 1024 * 1024)}}) + "\\n")',
        'f.write("y" * (9 * 1024 * 1024) + "\\n")',
        'f.write(json.dumps({"seq": 4, "ts": 4.0, "step": 4, "kind": "train", "m": {"loss": 2.0, "lr": "nan"}}) + "\\n")',
        'f.close()',
      ].join('\n');
      fs.writeFileSync(path.join(dataDir, 'writer.py'), script);
      const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: `/usr/bin/python3 ${path.join(dataDir, 'writer.py')}` } });
      const done = await waitForEnd(e, run.id);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.malformedLines).toBe(5);
      const points = await e.call('runs.metrics', { id: run.id });
      expect(points.map((p) => `${p.seq}:${p.name}:${p.value}`)).toEqual(['1:loss:2.5', '4:loss:2', '4:lr:null']);
    } finally {
      e.close();
    }
  });

  it('refuses a changed host key with HOST_KEY_MISMATCH and runs nothing', async () => {
    const e = open();
    try {
      const accepted = () => (fs.readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length;
      const newKey = await sshd.restartWithNewHostKey();
      const before = accepted();
      const launch = e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'true' } });
      await expect(launch).rejects.toMatchObject({ info: { code: 'HOST_KEY_MISMATCH', details: { presented: newKey } } });
      const err = (await launch.catch((x: CallError) => x)) as CallError;
      expect(err.message).toContain(newKey);
      expect(err.message).toMatch(/CHANGED/);
      expect(accepted()).toBe(before);
      // Once the user has confirmed the new key, trusting it explicitly replaces the old one.
      expect(await codeOf(e.call('hosts.trust', { ref: 'box', fingerprint: 'SHA256:' + 'B'.repeat(43) }))).toBe('FINGERPRINT_MISMATCH');
      await e.call('hosts.trust', { ref: 'box', fingerprint: newKey });
      expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    } finally {
      e.close();
    }
  });
});

describe('code and datasets', () => {
  it('uploads a code directory as git sees it, records commit and uncommitted changes, and runs in it', async () => {
    const repo = tempDir('tb-code-');
    const g = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args]);
    g('init', '-q');
    fs.writeFileSync(path.join(repo, '.gitignore'), 'data/\n*.ckpt\n');
    fs.writeFileSync(path.join(repo, 'train.sh'), 'echo training from code\n');
    g('add', '.');
    g('commit', '-q', '-m', 'first');
    fs.writeFileSync(path.join(repo, 'train.sh'), 'echo training from changed code\n'); // uncommitted change
    fs.writeFileSync(path.join(repo, 'new.py'), 'print(1)\n'); // untracked, not ignored
    fs.mkdirSync(path.join(repo, 'data'));
    fs.writeFileSync(path.join(repo, 'data', 'big.bin'), 'ignored');
    fs.writeFileSync(path.join(repo, 'model.ckpt'), 'ignored');
    const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const e = open();
    try {
      const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'sh train.sh' }, code: repo });
      const done = await waitForEnd(e, run.id);
      expect(done.status).toBe('SUCCEEDED');
      expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual(['training from changed code']);
      const uploaded = execFileSync('find', ['.', '-type', 'f'], { cwd: path.join(done.remoteDir, 'code'), encoding: 'utf8' })
        .trim()
        .split('\n')
        .sort();
      expect(uploaded).toEqual(['./.gitignore', './new.py', './train.sh']);
      const runJson = JSON.parse(fs.readFileSync(path.join(done.remoteDir, 'run.json'), 'utf8'));
      expect(runJson.code).toMatchObject({ files: 3, git: { commit: head, dirty: true, changesSha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    } finally {
      e.close();
    }
  });

  it('uploads a local dataset once per host, whatever the number of runs using it', async () => {
    const file = path.join(tempDir('tb-data-'), 'chat.jsonl');
    fs.writeFileSync(file, '{"instruction": "hi", "response": "hello"}\n'.repeat(50));
    const e = open();
    try {
      const inodes: number[] = [];
      for (let i = 0; i < 2; i++) {
        const run = await e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'wc -l < data/chat.jsonl' }, dataset: file });
        const done = await waitForEnd(e, run.id);
        expect((await e.call('runs.logs', { id: run.id })).map((l) => l.text)).toEqual(['50']);
        inodes.push(fs.statSync(path.join(done.remoteDir, 'data', 'chat.jsonl')).ino);
        expect(JSON.parse(fs.readFileSync(path.join(done.remoteDir, 'run.json'), 'utf8')).dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(inodes[0]).toBe(inodes[1]);
      expect(fs.readdirSync(path.join(runRoot, 'datasets'))).toHaveLength(1);
      expect(await codeOf(e.call('runs.launch', { project: 'remote', host: 'box', recipe: 'custom', params: { command: 'true' }, dataset: '/no/such.jsonl' }))).toBe('DATASET_NOT_FOUND');
    } finally {
      e.close();
    }
  });
});

describe('the run CLI over SSH', () => {
  it('adds, trusts, launches and waits; exit 0 only on success', async () => {
    const dir = tempDir('tb-cli-ssh-');
    const fp = sshd.hostKeyFingerprint;
    expect(cli(['project', 'create', 'p'], { dataDir: dir }).code).toBe(0);
    expect(
      cli(['host', 'add', 'box', '--hostname', '127.0.0.1', '--port', String(sshd.port), '--user', sshd.user, '--identity', sshd.clientKey, '--python', '/usr/bin/python3', '--run-root', runRoot], {
        dataDir: dir,
      }).code,
    ).toBe(0);
    const untrusted = cli(['host', 'probe', 'box', '--json'], { dataDir: dir, env: { SSH_AUTH_SOCK: '', HOME: dir } });
    expect(untrusted.code).toBe(1);
    expect(untrusted.errorJson().error.code).toBe('HOST_KEY_UNKNOWN');
    expect(untrusted.errorJson().error.message).toContain(fp);
    expect(cli(['host', 'trust', 'box', '--fingerprint', fp], { dataDir: dir, env: { HOME: dir } }).code).toBe(0);
    const launched = cli(['run', 'launch', '--project', 'p', '--host', 'box', '--recipe', 'demo-lora-stdlib', '--param', 'steps=30', '--param', 'eval_every=10', '--json'], {
      dataDir: dir,
      env: { HOME: dir },
    });
    expect(launched.code).toBe(0);
    const id = launched.json().id;
    const waited = cli(['run', 'wait', id, '--timeout', '60', '--json'], { dataDir: dir, env: { HOME: dir } });
    expect(waited.code).toBe(0);
    expect(waited.json()).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    const csv = cli(['run', 'metrics', id, '--format', 'csv'], { dataDir: dir, env: { HOME: dir } });
    expect(csv.stdout.split('\n')[0]).toBe('stream,seq,ts,step,kind,name,value');
    expect(csv.stdout.trim().split('\n').length - 1).toBe(waited.json().metricPoints);
    const failing = JSON.parse(cli(['run', 'launch', '--project', 'p', '--host', 'box', '--recipe', 'custom', '--param', 'command=exit 3', '--json'], { dataDir: dir, env: { HOME: dir } }).stdout).id;
    const failed = cli(['run', 'wait', failing, '--json'], { dataDir: dir, env: { HOME: dir } });
    expect(failed.code).toBe(1);
    expect(failed.json()).toMatchObject({ status: 'FAILED', exitCode: 3 });
    const bad = cli(['run', 'launch', '--project', 'p', '--host', 'box', '--recipe', 'demo-lora-stdlib', '--param', 'steps=lots', '--json'], { dataDir: dir, env: { HOME: dir } });
    expect(bad.code).toBe(2);
    expect(bad.errorJson().error.code).toBe('VALIDATION_FAILED');
  });
});
